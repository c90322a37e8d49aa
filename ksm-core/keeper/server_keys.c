/* SPDX-License-Identifier: MIT */
/*
 * server_keys.c - Keeper's published transmission public keys
 * (docs/protocol.md §3.3). Ids 1-6 are aliases of 7, as in the Python SDK.
 */
#include "server_keys.h"

#include <stdlib.h>
#include <string.h>

static const char *const keeper_keys[] = {
	/* 7 */ "BK9w6TZFxE6nFNbMfIpULCup2a8xc6w2tUTABjxny7yFmxW0dAEojwC6j6zb5n"
		"Tlmb1dAx8nwo3qF7RPYGmloRM",
	/* 8 */
	"BKnhy0obglZJK-igwthNLdknoSXRrGB-mvFRzyb_L-"
	"DKKefWjYdFD2888qN1ROczz4n3keYSfKz9Koj90Z6w_tQ",
	/* 9 */
	"BAsPQdCpLIGXdWNLdAwx-3J5lNqUtKbaOMV56hUj8VzxE2USLHuHHuKDeno0ymJt-"
	"acxWV1xPlBfNUShhRTR77g",
	/* 10 */
	"BNYIh_Sv03nRZUUJveE8d2mxKLIDXv654UbshaItHrCJhd6cT7pdZ_"
	"XwbdyxAOCWMkBb9AZ4t1XRCsM8-wkEBRg",
	/* 11 */
	"BA6uNfeYSvqagwu4TOY6wFK4JyU5C200vJna0lH4PJ-SzGVXej8l9dElyQ58_"
	"ljfPs5Rq6zVVXpdDe8A7Y3WRhk",
	/* 12 */
	"BMjTIlXfohI8TDymsHxo0DqYysCy7yZGJ80WhgOBR4QUd6LBDA6-_318a-"
	"jCGW96zxXKMm8clDTKpE8w75KG-FY",
	/* 13 */
	"BJBDU1P1H21IwIdT2brKkPqbQR0Zl0TIHf7Bz_OO9jaNgIwydMkxt4GpBmkYoprZ_"
	"DHUGOrno2faB7pmTR7HhuI",
	/* 14 */
	"BJFF8j-dH7pDEw_U347w2CBM6xYM8Dk5fPPAktjib-opOqzvvbsER-WDHM4ONCSBf9O_"
	"obAHzCyygxmtpktDuiE",
	/* 15 */
	"BDKyWBvLbyZ-jMueORl3JwJnnEpCiZdN7yUvT0vOyjwpPBCDf6zfL4RWzvSkhAAFnwOni_"
	"1tQSl8dfXHbXqXsQ8",
	/* 16 */
	"BDXyZZnrl0tc2jdC5I61JjwkjK2kr7uet9tZjt8StTiJTAQQmnVOYBgbtP08PWDbecxnHg"
	"hx3kJ8QXq1XE68y8c",
	/* 17 */
	"BFX68cb97m9_sweGdOVavFM3j5ot6gveg6xT4BtGahfGhKib-"
	"zdZyO9pwvv1cBda9ahkSzo1BQ4NVXp9qRyqVGU",
	/* 18 */
	"BNhngQqTT1bPKxGuB6FhbPTAeNVFl8PKGGSGo5W06xWIReutm6ix6JPivqnbvkydY-"
	"1uDQTr-5e6t70G01Bb5JA",
};

const char *ksm_server_key_by_id(long id)
{
	if (id >= 1 && id <= 6)
		id = 7;
	if (id < 7 || id > 18)
		return NULL;
	return keeper_keys[id - 7];
}
