#!/bin/sh
# make check-break: proves the end-to-end tests can fail. Runs each test
# script given against deliberately broken binaries and requires it to
# fail; a script that still passes tests nothing of what it claims.
#
# usage (through make, for the environment): break.sh SCRIPT...
#
# The binary broken is the one the script tests: tests/e2e/fixtures.sh
# tests evtxgen (EVTXGEN), tests/e2e/readers.sh evtxhunt's reader
# (READBACK), tests/e2e/decode.sh the reader and evtxhunt, tests/fuzz/replay.sh the replayers (REPLAY_*); every other
# script evtxhunt (EVTXHUNT). The others stay real, so a script fails for
# its own checks, not because its set-up broke. The broken kinds:
#   silent  prints nothing, exits 0
#   status0 runs the real binary, always exits 0
#   lastline runs the real binary, keeps its status, drops the last line
#           of its standard output (one hit, one record lost)
# Every script must be killed by silent, and by at least one kind in all
# (status0 cannot kill fixtures.sh: evtxgen exits 0 when it works).
# Scripts that skip (77, e.g. no ../shared) are listed, not counted.
set -eu
: "${EVTXHUNT:?run through make check-break}"
work=$(mktemp -d "${TMPDIR:-/tmp}/evtxhunt-break.XXXXXX")
trap 'rm -rf "$work"' EXIT
kinds="silent status0 lastline"

# broken KIND REAL: writes the wrapper in $work, prints its path
broken() {
	w=$work/$1-$(basename "$2")
	case $1 in
	silent) printf '#!/bin/sh\nexit 0\n' >"$w" ;;
	status0) printf '#!/bin/sh\n"%s" "$@"\nexit 0\n' "$2" >"$w" ;;
	lastline)
		printf '#!/bin/sh\nout=$(mktemp)\n"%s" "$@" >"$out"\nst=$?\nsed '"'"'$d'"'"' "$out"\nrm -f "$out"\nexit $st\n' \
			"$2" >"$w"
		;;
	esac
	chmod 755 "$w"
	echo "$w"
}

targets() {
	case $1 in
	*/fixtures.sh) echo EVTXGEN ;;
	*/readers.sh) echo READBACK ;;
	*/decode.sh) echo READBACK EVTXHUNT ;;
	*/replay.sh) echo REPLAY_CHUNK REPLAY_RULE REPLAY_MERGE ;;
	*) echo EVTXHUNT ;;
	esac
}

# judge SCRIPT DIR: runs SCRIPT against each kind, wrappers and logs in
# DIR; its table row in DIR/row, what to say in DIR/msg, DIR/survived if
# it passed where it must not
judge() {
	script=$1 dir=$2
	mkdir -p "$dir"
	name=${script#"${script%/*/*}"/}
	line=
	killed=0
	skipped=no
	survived=no
	: >"$dir/msg"
	for kind in $kinds; do
		# the broken binaries, set in a subshell so the next kind starts real
		set +e
		(
			work=$dir
			for var in $(targets "$script"); do
				eval "real=\$$var"
				eval "$var=\$(broken $kind \"\$real\")"
				export "${var?}"
			done
			exec sh "$script" >"$dir/$kind.log" 2>&1
		)
		st=$?
		set -e
		case $st in
		0) verdict=SURVIVED ;;
		77) verdict=skip skipped=yes ;;
		*) verdict="killed($st)" killed=$((killed + 1)) ;;
		esac
		line="$line $verdict"
		if [ "$kind" = silent ] && [ "$st" -eq 0 ]; then
			survived=yes
			echo "  $name passed against the $kind binary; its log:" >>"$dir/msg"
			sed 's/^/    /' "$dir/$kind.log" | tail -20 >>"$dir/msg"
		fi
	done
	printf '%-28s%s\n' "$name" "$line" >"$dir/row"
	if [ "$killed" -eq 0 ] && [ "$skipped" = no ]; then
		echo "  $name: no broken binary makes it fail" >>"$dir/msg"
		survived=yes
	fi
	if [ "$survived" = yes ]; then : >"$dir/survived"; fi
}

# two scripts at a time (each runs alone in a temporary directory of its
# own); the table in the order given
jobs=$(nproc 2>/dev/null || echo 2)
i=0
for script in "$@"; do
	i=$((i + 1))
	judge "$script" "$work/$i" &
	if [ $((i % jobs)) -eq 0 ]; then wait; fi
done
wait
printf '%-28s %s\n' script "$kinds"
survivors=0
i=0
for script in "$@"; do
	i=$((i + 1))
	cat "$work/$i/row" 2>/dev/null || printf '%-28s not judged\n' "$script"
	cat "$work/$i/msg" >&2 2>/dev/null || true
	if [ -f "$work/$i/survived" ] || [ ! -f "$work/$i/row" ]; then survivors=$((survivors + 1)); fi
done
if [ "$survivors" -ne 0 ]; then
	echo "FAIL: $survivors scripts still pass with broken binaries" >&2
	exit 1
fi
echo "every script fails with a broken binary"
