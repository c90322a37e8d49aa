# Records, notation and TOTP (owned by the records work).
libksmcore_la_SOURCES += \
	ksm-core/record.c \
	ksm-core/notation.c \
	ksm-core/totp.c
