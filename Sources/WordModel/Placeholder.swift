// WordModel
