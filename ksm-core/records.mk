# Records, notation and TOTP (owned by the records work).
libksmcore_la_SOURCES +=
