# SPDX-License-Identifier: MIT
# debs.sh - the Debian packages of this tree, built and installed in a
# throwaway view of the system (sourced, bash): what
# tests/package/test_debs.sh and tests/package/test_ansible.sh share.
#
# debs_build builds them from a copy of the tree; debs_overlay_system, in
# a private mount namespace, puts tmpfs-backed overlays over /etc, /usr and
# /var (so /lib, /bin and dpkg's database too) and a tmpfs on /run, so
# that dpkg, its maintainer scripts and whatever else runs there change
# nothing on the host.
[ -n "${KSM_LIB_DEBS:-}" ] && return 0
KSM_LIB_DEBS=1

# debs_build SRC W: a copy of SRC in W/ksm-unix (what git knows: tracked
# and new files, not ignored ones; else everything but build directories),
# then dpkg-buildpackage -us -uc -b there; the .debs land in W, its output
# in W/build.log, its wall time in BUILD_S. Returns its exit code.
debs_build() {
	local src=$1 w=$2 t0 rc
	mkdir -p "$w/ksm-unix"
	if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$src" && git ls-files -z --cached --others --exclude-standard) |
			tar -C "$src" --null -T - --ignore-failed-read -cf - 2>/dev/null |
			tar -C "$w/ksm-unix" -xf -
	else
		tar -C "$src" --exclude=./build --exclude='./build-*' -cf - . |
			tar -C "$w/ksm-unix" -xf -
	fi
	t0=$(date +%s)
	(cd "$w/ksm-unix" && DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=${JOBS:-2}" \
		dpkg-buildpackage -us -uc -b >"$w/build.log" 2>&1)
	rc=$?
	BUILD_S=$(($(date +%s) - t0))
	return $rc
}

# debs_list W: the packages built in W (not the debug symbols).
debs_list() { ls "$1"/*.deb | grep -v -- -dbgsym_; }

# debs_overlay_system W: inside a private mount namespace, the overlays
# (upper layers on a tmpfs in W/ovl) over /etc, /usr and /var, a tmpfs on
# /run (no systemd to talk to) with /run/sshd; no man-db rebuilds, dpkg
# without questions. Exits 99 when a mount fails.
debs_overlay_system() {
	local w=$1 d
	mkdir -p "$w/ovl" && mount -t tmpfs -o mode=0755 tmpfs "$w/ovl" || exit 99
	for d in etc usr var; do
		mkdir -p "$w/ovl/$d.up" "$w/ovl/$d.work"
		mount -t overlay overlay \
			-o "lowerdir=/$d,upperdir=$w/ovl/$d.up,workdir=$w/ovl/$d.work" "/$d" ||
			{ echo "cannot overlay /$d"; exit 99; }
	done
	mount -t tmpfs -o mode=0755 tmpfs /run || exit 99
	mkdir -p /run/sshd
	chmod 0755 /run/sshd
	rm -f /var/lib/man-db/auto-update
	export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true
}
