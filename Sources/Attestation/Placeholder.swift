// Attestation
