// Linux's epoll, which Swift's Glibc module does not export; Channel's event loop uses it.
#include <sys/epoll.h>
