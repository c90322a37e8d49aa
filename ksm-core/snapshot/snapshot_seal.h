/* SPDX-License-Identifier: MIT */
/*
 * snapshot_seal.h - computing a snapshot image's checksums in place, for
 * writers (ksm-core/accounts/snapshot_writer.c) and for the fuzz target,
 * which re-seals mutated images so that it reaches the checks behind them.
 */
#ifndef KSM_SNAPSHOT_SEAL_H
#define KSM_SNAPSHOT_SEAL_H

#include <stdbool.h>
#include <stddef.h>

#define KSM_SNAP_SEAL_ENTRIES 1u /* users', groups' and buckets' CRCs */
#define KSM_SNAP_SEAL_HEADER  2u /* then the sections' and the header's */

/*
 * img: a whole image (8-byte aligned) whose header and sections are laid
 * out (magic, version, lengths, section offsets and sizes). Computes what
 * `what` names, in the order the checksums depend on each other. false:
 * the layout is not a snapshot's, or an entry or bucket is out of bounds
 * (its CRC is left as it was; the rest is still sealed).
 */
bool ksm_snap_seal(void *img, size_t len, unsigned what);

#endif
