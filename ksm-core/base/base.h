/* SPDX-License-Identifier: MIT */
/*
 * base.h - the base layer's headers in one include: what every part of
 * libksm may use (libc only).
 */
#ifndef KSM_BASE_H
#define KSM_BASE_H

#include "base64.h"
#include "defs.h"
#include "error.h"
#include "mem.h"
#include "text.h"

#endif
