// libpng for the analysis plots (Debian: libpng-dev).
#include <png.h>
