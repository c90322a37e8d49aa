dnl SPDX-License-Identifier: MIT
# KSM_DIST_DIR(VARIABLE, WHAT, PKG-MODULE, PKG-VARIABLE, FALLBACK)
#
# --with-VARIABLE=DIR for a directory of host integration files (dist/).
# Default: the pkg-config variable PKG-VARIABLE of PKG-MODULE (if both are
# given and pkg-config knows it), else FALLBACK. "no" installs nothing
# there (AM_CONDITIONAL HAVE_VARIABLE is false).
AC_DEFUN([KSM_DIST_DIR], [
AC_ARG_WITH([$1],
  [AS_HELP_STRING([--with-$1=DIR],
    [$2 (default: ]m4_ifnblank([$3], [[pkg-config $3 $4 or ]])[$5; no: none)])],
  [], [with_$1=auto])
AS_IF([test "x$with_$1" = xauto || test "x$with_$1" = xyes], [
  with_$1=
  m4_ifnblank([$3], [AS_IF([test -n "$PKG_CONFIG"],
    [with_$1=`$PKG_CONFIG --variable=$4 $3 2>/dev/null`])])
  AS_IF([test -z "$with_$1"], [with_$1=$5])])
AC_MSG_CHECKING([where to install $2])
AC_MSG_RESULT([$with_$1])
AC_SUBST([$1], [$with_$1])
AM_CONDITIONAL(m4_toupper([HAVE_$1]), [test "x$with_$1" != xno])
])
