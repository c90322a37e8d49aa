# SPDX-License-Identifier: MIT
# pamdocs.sh - the PAM examples of the documentation, as the tests and the
# demo use them (sourced, bash; after common.sh). A block is marked in its
# document with "pam-example: NAME": in man/pam_ksm.8 a comment line
# '.\" pam-example: NAME ...' before its .EX/.EE, in README.md a comment
# '<!-- pam-example: NAME ... -->' before its ``` fence. What the docs say
# is what the tests log in through, so the two cannot drift apart.
[ -n "${KSM_LIB_PAMDOCS:-}" ] && return 0
KSM_LIB_PAMDOCS=1

# doc_block FILE NAME: the lines of block NAME of FILE (a man page or a
# Markdown file), groff escapes undone; nothing (and status 1) if FILE has
# no such block.
doc_block() {
	local file=$1 name=$2 out
	case $file in
	*.[0-9])
		out=$(awk -v n="$name" '
			$0 ~ "^\\.\\\\\" pam-example: " n "( |$)" { want = 1; next }
			want && /^\.EX/ { inside = 1; next }
			inside && /^\.EE/ { exit }
			inside { print }' "$file" |
			sed -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/\\&//g' -e 's/\\e/\\/g')
		;;
	*)
		out=$(awk -v n="$name" '
			$0 ~ "^<!-- pam-example: " n "( |-->|$)" { want = 1; next }
			want && !inside && /^```/ { inside = 1; next }
			inside && /^```/ { exit }
			inside { print }' "$file")
		;;
	esac
	[ -n "$out" ] || return 1
	printf '%s\n' "$out"
}

# doc_merge SYSTEM_FILE BLOCK_FILE: SYSTEM_FILE (say Debian's
# /etc/pam.d/sshd) with the lines of the block put in as the docs say:
# each block line that the file lacks goes right above the next block line
# that the file has (the @include lines are the anchors); lines after the
# last anchor go at the end. Lines are compared with their white space
# squeezed. Prints the result.
doc_merge() {
	awk '
		function norm(s) { gsub(/[ \t]+/, " ", s); sub(/^ /, "", s); sub(/ $/, "", s); return s }
		FNR == NR { sys[++ns] = $0; have[norm($0)] = 1; next }
		{ blk[++nb] = $0 }
		END {
			# pending: block lines waiting for their anchor.
			np = 0
			for (i = 1; i <= nb; i++) {
				if (norm(blk[i]) in have) { anchor[norm(blk[i])] = np; for (k = 1; k <= np; k++) before[norm(blk[i]), k] = pend[k]; np = 0 }
				else pend[++np] = blk[i]
			}
			for (j = 1; j <= ns; j++) {
				key = norm(sys[j])
				if (key in anchor) { for (k = 1; k <= anchor[key]; k++) print before[key, k]; delete anchor[key] }
				print sys[j]
			}
			for (k = 1; k <= np; k++) print pend[k]
		}' "$1" "$2"
}
