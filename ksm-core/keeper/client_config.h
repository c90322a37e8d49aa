/* SPDX-License-Identifier: MIT */
/*
 * client_config.h - the client config's JSON reader, for the importer of
 * pre-initialized configs (config_import.c) (internal).
 */
#ifndef KSM_CLIENT_CONFIG_H
#define KSM_CLIENT_CONFIG_H

#include "base.h"

/* A flat JSON object of strings (numbers become strings); what names the
 * text in messages. */
KSM_HIDDEN ksm_status ksm_client_config_parse(const char *text, size_t len,
					      const char *what,
					      ksm_client_config **out,
					      ksm_error *err);

#endif
