#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# The test command: installs dependencies, then
#   (a) build-werror/: configure --enable-werror, make, make check
#       (Check unit suites + tests/unit/*.sh)
#   (b) build-asan/:   configure --enable-sanitizers --enable-werror, make check
#       (the same suites under ASan + UBSan)
#   (c) build-fuzz/:   CC=clang configure --enable-fuzz; each libFuzzer
#       harness runs FUZZ_TIME seconds (default 30) over its corpus
#   (d) build-werror/: the network-namespace end-to-end tests (E2E_TESTS of
#       Makefile.am; root), each under a time limit, up to E2E_JOBS at once
#   (e) build-asan/:   the end-to-end tests that exercise the most daemon code
#       (E2E_ASAN_TESTS) again, against the ASan+UBSan proxyd and proxyctl;
#       any sanitizer report fails the test (tests/lib/world.sh)
# then prints the log of everything that failed, names the failed checks,
# lists every skip with its reason and, as the very last line,
# "N passed, N failed, N skipped", counting Check test cases, "ok"/"not ok"
# lines of the script tests ("ok ... # SKIP reason" is a skip, not a pass),
# script tests that skipped themselves (exit 77), each fuzzer run, each
# build step that failed and each part not run.
# Exit status 0 only if nothing failed.
#
# With CI=true an end-to-end test (or check) skipped for a missing tool,
# missing root or a missing user is a failure (CI installs what it needs);
# a skip for what the kernel lacks stays a skip.
#
# Each end-to-end test runs as "bash tests/e2e/NAME.sh" with its own
# namespace prefix (PXT_PREFIX=pxt<pid of this script>-<N>-) and world
# directory (/tmp/pxt-run.<pid>/<N>), under timeout(1): after E2E_TIMEOUT
# seconds its process group gets SIGTERM (its exit trap tears the world
# down), 30 s later SIGKILL; then, whatever the outcome, this script kills
# every process the test started that still runs (they inherit its
# PXT_PREFIX) and every process in its namespaces, and deletes those (a
# leftover is a failure of the test).  What a killed run of this
# script left behind is cleaned at the start of the next (namespaces
# pxt<PID>-* and /tmp/pxt-run.<PID> of a PID that no longer runs).
#
# Environment: JOBS (make -j, default 2), FUZZ_TIME (seconds, default 30),
# SKIP_DEPS=1 (do not run tools/install-deps.sh), SKIP_E2E=1, SKIP_FUZZ=1,
# SKIP_ASAN=1 (each part that is skipped is listed and counted as a skip),
# E2E_TIMEOUT (seconds per end-to-end test, default 900), E2E_JOBS (end-to-end
# tests at once, default 1: serial, the whole suite stays far below CI's
# 90 min and some checks time healing or count datagrams), E2E_ALONE (tests
# that never run beside another: they load both cores, default e2e_tunnel
# e2e_tungso e2e_alloc e2e_overlap), E2E_ASAN_TESTS (default e2e_tunnel e2e_direct
# e2e_malformed e2e_topology e2e_tso e2e_hc), E2E_ONLY (run only these end-to-end tests,
# e.g. "e2e_tunnel e2e_nat").

set -u
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
JOBS=${JOBS:-2}
FUZZ_TIME=${FUZZ_TIME:-30}
logs=$root/build-logs
mkdir -p "$logs"

PASS=0 FAIL=0 SKIP=0
FAILED_LOGS=()		# "title|path"

say() { echo "run-tests: $*"; }

# step NAME LOG CMD...: runs a build step (CMD may be a function), output to
# LOG.
# A failed step counts as one failure and its log is shown at the end.
step() {
	local name=$1 log=$2 rc
	shift 2
	say "$name"
	"$@" >"$log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		say "$name FAILED (exit $rc, log $log)"
		FAIL=$((FAIL + 1))
		FAILED_LOGS+=("$name|$log")
		return 1
	fi
	return 0
}

# run_check TITLE LOG DIR PATTERN MAKE-ARGS...: runs a make test target and
# counts the results of its test logs.  The make failure itself counts only
# when no test log accounts for it (e.g. a check program failed to build).
run_check() {
	local title=$1 log=$2 dir=$3 pat=$4 rc fail_before
	shift 4
	say "$title make $*"
	timeout 3600 make -C "$root/$dir" "$@" >"$log" 2>&1
	rc=$?
	fail_before=$FAIL
	collect "$root/$dir" "$title" "$pat"
	if [ $rc -ne 0 ] && [ $FAIL -eq $fail_before ]; then
		say "$title make $* FAILED (exit $rc) with no failed test to show for it"
		FAIL=$((FAIL + 1))
		FAILED_LOGS+=("$title make $*|$log")
	fi
}

# collect DIR TITLE PATTERN: adds up the results of the automake test logs
# DIR/tests/PATTERN.trs (PATTERN names the kind directory too: 'unit/*',
# 'e2e/e2e_*', '*/*' for every kind).
collect() {
	local dir=$1 title=$2 pat=$3 trs log name res
	for trs in "$dir"/tests/$pat.trs; do
		[ -e "$trs" ] || continue
		log=${trs%.trs}.log
		name=${trs##*/}; name=${name%.trs}
		res=$(sed -n 's/^:test-result: //p' "$trs" | head -n1)
		tally "$title" "$name" "$log" "$res"
	done
}

# Skip reasons that only mean this machine lacks something CI installs:
# with CI=true, such a skip of an end-to-end test is a failure.
ENV_SKIP_RE='need(s)? root|not root|missing tools?|missing users?|no user|no such user|not installed|command not found|install-deps'

SKIPS=()		# "what: reason", listed at the end
FAILED_NOTES=()		# one line per failure not found in a log

# skip_one TITLE NAME WHAT REASON: counts one skip (or, in CI, one
# failure when an end-to-end test lacked a tool, root or a user).
skip_one() {
	local title=$1 name=$2 what=$3 reason=$4
	if [ "${CI:-}" = true ] && [[ $name == e2e_* ]] &&
	    grep -Eiq "$ENV_SKIP_RE" <<<"$reason"; then
		FAIL=$((FAIL + 1))
		FAILED_NOTES+=("$title $name: $what skipped in CI, which must have what it needs: $reason")
		return
	fi
	SKIP=$((SKIP + 1))
	SKIPS+=("$title $name: $what: $reason")
}

# tally TITLE NAME LOG RESULT: counts one test program's results.  RESULT
# is automake's (PASS, FAIL, SKIP for exit 77, ERROR, XFAIL, XPASS).
# Check suites count their test cases; scripts their "ok"/"not ok" lines,
# "ok ... # SKIP reason" being a skip.  A program that failed counts at
# least one failure whatever it printed; one that skipped itself is one
# skip, with the reason it printed ("# SKIP: ...", "1..0 # SKIP ...").
tally() {
	local title=$1 name=$2 log=$3 res=$4 checks p=0 f=0 line what reason
	case $name in
	check_*)
		# "100%: Checks: 12, Failures: 0, Errors: 0", one per suite.
		checks=$(grep -Eo 'Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' \
		    "$log" 2>/dev/null | awk -F'[:,] *' \
		    '{ c += $2; f += $4 + $6 } END { if (NR) print c - f, f }')
		[ -n "$checks" ] && read -r p f <<<"$checks" ;;
	*)
		p=$(grep -E '^ok ' "$log" 2>/dev/null | grep -Eivc '#[[:space:]]*skip')
		f=$(grep -c '^not ok ' "$log" 2>/dev/null)
		while IFS= read -r line; do
			what=$(sed -E 's/^ok [0-9]+( -)? *//; s/[[:space:]]*#[[:space:]]*[Ss][Kk][Ii][Pp].*//' <<<"$line")
			reason=$(sed -E 's/.*#[[:space:]]*[Ss][Kk][Ii][Pp]:?[[:space:]]*//' <<<"$line")
			skip_one "$title" "$name" "check '${what:-unnamed}'" "${reason:-no reason given}"
		done < <(grep -E '^ok ' "$log" 2>/dev/null | grep -Ei '#[[:space:]]*skip')
		;;
	esac
	p=${p:-0} f=${f:-0}
	case $res in
	PASS|XFAIL)
		[ $((p + f)) -eq 0 ] && p=1 ;;
	SKIP)
		reason=$(grep -Ei -m 1 '#[[:space:]]*skip' "$log" 2>/dev/null |
		    sed -E 's/.*#[[:space:]]*[Ss][Kk][Ii][Pp]:?[[:space:]]*//')
		skip_one "$title" "$name" "the whole test" "${reason:-no reason given (exit 77)}" ;;
	*)	# FAIL, ERROR, XPASS: at least one failure, whatever it printed
		[ "$f" -eq 0 ] && f=1 ;;
	esac
	PASS=$((PASS + p))
	FAIL=$((FAIL + f))
	if [ "$f" -gt 0 ]; then
		FAILED_LOGS+=("$title $name|$log")
	fi
}

# not_run WHAT WHY: a part of the suite that did not run is a skip.
not_run() {
	say "$1 skipped ($2)"
	SKIP=$((SKIP + 1))
	SKIPS+=("$1: not run: $2")
}

# mk_list VAR: the words of Makefile.am's VAR, from its "VAR = ..." and
# "VAR += ..." lines and their continuation lines, one per line.
mk_list() {
	awk -v v="$1" '
	    !on && $0 ~ "^" v "[ \t]*[+]?=" { on = 1; sub("^" v "[ \t]*[+]?=", "") }
	    on { c = /\\$/; sub(/\\$/, ""); print; if (!c) on = 0 }' Makefile.am |
	    tr -s ' \t' '\n' | grep -v '^$'
}

# configure_in DIR ARGS...: a fresh out-of-tree configure in DIR.
configure_in() {
	local dir=$1
	shift
	mkdir -p "$root/$dir" && (cd "$root/$dir" && timeout 600 ../configure "$@")
}

# Removes the test logs of an earlier run, so only this run counts.
clean_test_logs() {	# DIR PATTERN (as collect's)
	# shellcheck disable=SC2086 # $2 is a glob
	rm -f "$root/$1"/tests/$2.trs "$root/$1"/tests/$2.log
	rm -f "$root/$1/test-suite.log"
}

# ------------------------------------------------------------------------
# Dependencies and autotools

if [ "${SKIP_DEPS:-0}" != 1 ]; then
	step "install-deps" "$logs/install-deps.log" bash tools/install-deps.sh
fi
if [ -e "$root/config.status" ]; then
	say "the source tree itself is configured (in-tree build); out-of-tree builds"
	say "need it clean: run 'make distclean' in $root first"
fi
step "autogen" "$logs/autogen.log" ./autogen.sh
autogen_ok=$?

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# ------------------------------------------------------------------------
# (a) -Werror build, unit tests, conf.sh

werror_ok=1 asan_ok=1
if [ $autogen_ok -eq 0 ] &&
    step "(a) configure --enable-werror" "$logs/werror-configure.log" \
	configure_in build-werror --enable-werror &&
    step "(a) make" "$logs/werror-make.log" timeout 1800 make -C build-werror -j"$JOBS"; then
	werror_ok=0
	clean_test_logs build-werror '*/*'
	run_check "(a)" "$logs/werror-check.log" build-werror '*/*' -j"$JOBS" check
fi

# ------------------------------------------------------------------------
# (b) ASan + UBSan

if [ "${SKIP_ASAN:-0}" = 1 ]; then
	not_run "(b)" "SKIP_ASAN=1"
elif [ $autogen_ok -eq 0 ] &&
    step "(b) configure --enable-sanitizers --enable-werror" \
	"$logs/asan-configure.log" \
	configure_in build-asan --enable-sanitizers --enable-werror &&
    step "(b) make" "$logs/asan-make.log" timeout 1800 make -C build-asan -j"$JOBS"; then
	asan_ok=0
	clean_test_logs build-asan '*/*'
	# Check's per-case timeout (4 s) is for a normal build: the
	# sanitizers make the heaviest cases (check_pkt's 64 KiB messages)
	# several times slower on a busy 2-core machine.
	CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-10} \
	run_check "(b)" "$logs/asan-check.log" build-asan '*/*' -j"$JOBS" check
fi

# ------------------------------------------------------------------------
# (c) libFuzzer harnesses.  The library is built with fuzzer-no-link
# instrumentation too (CFLAGS), so the fuzzers see coverage inside lib/.

FUZZERS=$(mk_list FUZZERS | sed -n 's|^tests/fuzz/\(fuzz_[A-Za-z0-9_]*\)$|\1|p')
if [ "${SKIP_FUZZ:-0}" = 1 ]; then
	not_run "(c)" "SKIP_FUZZ=1"
elif [ $autogen_ok -eq 0 ] &&
    step "(c) configure CC=clang --enable-fuzz" "$logs/fuzz-configure.log" \
	configure_in build-fuzz --enable-fuzz CC=clang \
	CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined"; then
	for fz in $FUZZERS; do
		step "(c) make tests/fuzz/$fz" "$logs/fuzz-make-$fz.log" \
		    timeout 1800 make -C build-fuzz -j"$JOBS" "tests/fuzz/$fz" || continue
		corpus=
		for c in "tests/fuzz/corpus/${fz#fuzz_}" "tests/fuzz/corpus/$fz"; do
			[ -d "$root/$c" ] && { corpus=$root/$c; break; }
		done
		# New inputs go to a scratch dir, never into the source tree.
		work=$root/build-fuzz/corpus-$fz
		art=$root/build-fuzz/artifacts
		mkdir -p "$work" "$art"
		say "(c) $fz for ${FUZZ_TIME}s${corpus:+ (corpus ${corpus#"$root"/})}"
		# shellcheck disable=SC2086 # $corpus is empty or one path
		if timeout $((FUZZ_TIME + 120)) "$root/build-fuzz/tests/fuzz/$fz" \
		    -max_total_time="$FUZZ_TIME" -print_final_stats=1 \
		    -artifact_prefix="$art/$fz-" "$work" $corpus \
		    >"$logs/fuzz-run-$fz.log" 2>&1; then
			PASS=$((PASS + 1))
		else
			FAIL=$((FAIL + 1))
			FAILED_LOGS+=("(c) $fz|$logs/fuzz-run-$fz.log")
		fi
	done
fi

# ------------------------------------------------------------------------
# (d) end-to-end tests from the -Werror build, (e) some of them again from
# the ASan+UBSan build.

E2E_TIMEOUT=${E2E_TIMEOUT:-900}
E2E_JOBS=${E2E_JOBS:-1}
E2E_ASAN_TESTS=${E2E_ASAN_TESTS-e2e_tunnel e2e_direct e2e_malformed e2e_topology e2e_tso e2e_hc}
E2E_ALONE=${E2E_ALONE-e2e_tunnel e2e_tungso e2e_alloc e2e_overlap}
RUN_DIR=/tmp/pxt-run.$$

# e2e_clean_stale: what killed runs left behind: namespaces pxt<PID>-* of a
# PID that no longer runs (tests/lib/world.sh), and our run directories
# /tmp/pxt-run.<PID>.
e2e_clean_stale() {
	local d pid
	bash -c '. "$1/tests/lib/world.sh" && world_clean_stale' sh "$root" 2>&1 |
	    sed 's/^# /run-tests: /'
	for d in /tmp/pxt-run.*; do
		[ -d "$d" ] || continue
		pid=${d##*.}
		[[ $pid =~ ^[0-9]+$ ]] || continue
		[ -d "/proc/$pid" ] && continue
		say "removing stale run directory $d"
		rm -rf -- "$d"
	done
}

# e2e_marked PREFIX: the pids of processes started by the test with that
# PXT_PREFIX (exported to it, so inherited by all it starts).
e2e_marked() {
	local f p
	for f in /proc/[0-9]*/environ; do
		grep -qzx -- "PXT_PREFIX=$1" "$f" 2>/dev/null || continue
		p=${f#/proc/}
		echo "${p%/environ}"
	done
}

# e2e_reap PREFIX: prints what a finished test left behind (its processes,
# its namespaces and the processes in them), then kills and deletes it.
e2e_reap() {
	local prefix=$1 pids nss n p
	nss=$(ip netns list 2>/dev/null | awk '{ print $1 }' | grep "^$prefix")
	pids=$(e2e_marked "$prefix")
	for n in $nss; do pids="$pids $(ip netns pids "$n" 2>/dev/null)"; done
	# shellcheck disable=SC2086 # a list of pids
	pids=$(printf '%s\n' $pids | sort -un | grep -vx "$$")
	[ -z "$pids$nss" ] && return 0
	for p in $pids; do
		echo "process $p ($(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-80))"
	done
	for n in $nss; do echo "namespace $n"; done
	# shellcheck disable=SC2086 # lists of pids
	{ kill -TERM $pids; sleep 1; kill -KILL $pids; } 2>/dev/null
	for n in $nss; do ip netns del "$n" 2>/dev/null; done
}

declare -a JOB_NAME=() JOB_BDIR=() JOB_TITLE=() JOB_LOG=() JOB_T0=()
declare -A RUNNING=()	# pid -> job index
E2E_TIMES=()		# "seconds title name"

e2e_is_alone() { [[ " $E2E_ALONE " == *" ${JOB_NAME[$1]} "* ]]; }

e2e_start() {	# I
	local i=$1 name=${JOB_NAME[$1]} bdir=${JOB_BDIR[$1]} log
	log=$bdir/tests/e2e/$name.log
	mkdir -p "${log%/*}" "$RUN_DIR"
	rm -f "$log" "${log%.log}.trs"
	JOB_LOG[i]=$log
	JOB_T0[i]=$(date +%s)
	(
		cd "$root" || exit 99
		export top_srcdir=$root top_builddir=$bdir PROXYD_BUILD=$bdir \
		    PXT_PREFIX="pxt$$-$i-" WORLD_DIR="$RUN_DIR/$i"
		unset PROXYD PROXYCTL WORLD_KEEP
		exec timeout -k 30 "$E2E_TIMEOUT" bash "$root/tests/e2e/$name.sh"
	) >"$log" 2>&1 </dev/null &
	RUNNING[$!]=$i
	say "${JOB_TITLE[i]} $name started (prefix pxt$$-$i-)"
}

e2e_finish() {	# I STATUS
	local i=$1 rc=$2 name=${JOB_NAME[$1]} log=${JOB_LOG[$1]} dur res left how
	local timed_out=0
	dur=$(( $(date +%s) - JOB_T0[i] ))
	if { [ "$rc" = 124 ] || [ "$rc" = 137 ]; } && [ "$dur" -ge "$E2E_TIMEOUT" ]; then
		timed_out=1
		if [ "$rc" = 124 ]; then
			how="SIGTERM to its processes ended it"
		else
			how="SIGTERM to its processes did not end it, SIGKILL 30 s later did"
		fi
		echo "not ok - $name finishes within E2E_TIMEOUT=$E2E_TIMEOUT s (it did not: $how; tools/run-tests.sh then tore down what was left)" >>"$log"
	fi
	left=$(e2e_reap "pxt$$-$i-")
	if [ -n "$left" ] && [ $timed_out = 0 ]; then
		echo "not ok - $name leaves nothing behind (it left, now killed and deleted by tools/run-tests.sh: $(tr '\n' ' ' <<<"$left" | cut -c1-400))" >>"$log"
		[ "$rc" = 77 ] || rc=1
	fi
	rm -rf -- "${RUN_DIR:?}/$i"
	case $rc in
	0) res=PASS ;; 77) res=SKIP ;; *) res=FAIL ;;
	esac
	[ $timed_out = 1 ] && res=FAIL
	echo ":test-result: $res" >"${log%.log}.trs"
	tally "${JOB_TITLE[i]}" "$name" "$log" "$res"
	E2E_TIMES+=("$dur ${JOB_TITLE[i]} $name")
	say "${JOB_TITLE[i]} $name: $res in $dur s (exit $rc$([ $timed_out = 1 ] && echo ', timed out'))"
}

# e2e_last_time I: the seconds job I took in the last run (0 if unknown).
e2e_last_time() {
	local t=''
	if [ -r "$logs/e2e-times" ]; then
		t=$(awk -v t="${JOB_TITLE[$1]}" -v n="${JOB_NAME[$1]}" \
		    '$2 == t && $3 == n { s = $1 } END { print s + 0 }' "$logs/e2e-times")
	fi
	echo "${t:-0}"
}

# e2e_run: runs the jobs JOB_*, at most E2E_JOBS at once, an E2E_ALONE
# test with no other beside it.
e2e_run() {
	local i qi=0 alone=0 fin rc
	local -a queue=()
	# E2E_ALONE tests first, then the others, longest (last time) first
	for i in "${!JOB_NAME[@]}"; do e2e_is_alone "$i" && queue+=("$i"); done
	while read -r _ i; do
		queue+=("$i")
	done < <(for i in "${!JOB_NAME[@]}"; do
		e2e_is_alone "$i" && continue
		echo "$(e2e_last_time "$i") $i"
	done | sort -k1,1nr -k2,2n)
	while :; do
		while [ $qi -lt ${#queue[@]} ] && [ ${#RUNNING[@]} -lt "$E2E_JOBS" ] &&
		    [ $alone = 0 ]; do
			i=${queue[qi]}
			if e2e_is_alone "$i"; then
				[ ${#RUNNING[@]} -eq 0 ] || break
				alone=1
			fi
			e2e_start "$i"
			qi=$((qi + 1))
		done
		[ ${#RUNNING[@]} -gt 0 ] || break
		fin=''
		wait -n -p fin "${!RUNNING[@]}"
		rc=$?
		[ -n "$fin" ] || continue
		i=${RUNNING[$fin]}
		unset "RUNNING[$fin]"
		e2e_is_alone "$i" && alone=0
		e2e_finish "$i" "$rc"
	done
}

# On INT or TERM: stop the running tests (their process groups) and clean.
e2e_abort() {
	local p i
	trap - INT TERM
	say "interrupted: stopping the running end-to-end tests"
	for p in "${!RUNNING[@]}"; do kill -TERM -- "-$p" 2>/dev/null; done
	sleep 5
	for p in "${!RUNNING[@]}"; do
		kill -KILL -- "-$p" 2>/dev/null
		i=${RUNNING[$p]}
		e2e_reap "pxt$$-$i-" >/dev/null
	done
	rm -rf -- "$RUN_DIR"
	exit 130
}

# e2e_add TITLE BUILD NAME...: queues tests (E2E_ONLY filters them).
e2e_add() {
	local title=$1 bdir=$2 t
	shift 2
	for t in "$@"; do
		if [ -n "${E2E_ONLY:-}" ] && [[ " $E2E_ONLY " != *" $t "* ]]; then
			continue
		fi
		JOB_NAME+=("$t")
		JOB_BDIR+=("$bdir")
		JOB_TITLE+=("$title")
	done
}

E2E_ALL=$(mk_list E2E_TESTS | sed -n 's|^tests/e2e/\(e2e_[A-Za-z0-9_]*\)\.sh$|\1|p')
# what 'make check-e2e' builds before it runs them (the daemon, the shims)
# (automake's $(EXEEXT) is empty on this platform)
E2E_PREREQ=$(sed -n 's/^check-e2e: *//p' Makefile.am | sed 's/\$(EXEEXT)//g')
e2e_t0=$(date +%s)
# shellcheck disable=SC2086 # E2E_PREREQ is a list of make targets
if [ "${SKIP_E2E:-0}" = 1 ]; then
	not_run "(d) and (e)" "SKIP_E2E=1"
elif [ -z "$E2E_ALL" ]; then
	FAIL=$((FAIL + 1))
	FAILED_NOTES+=("(d): no E2E_TESTS found in Makefile.am")
elif [ $werror_ok -ne 0 ]; then
	not_run "(d)" "the -Werror build failed"
	not_run "(e)" "the -Werror build failed"
elif step "(d) make $E2E_PREREQ" "$logs/e2e-make.log" \
    timeout 1800 make -C build-werror $E2E_PREREQ; then
	if [ "$(id -u)" != 0 ]; then
		say "(d) not root: the end-to-end tests will skip themselves"
	fi
	e2e_clean_stale
	# shellcheck disable=SC2086 # lists of names
	e2e_add "(d)" "$root/build-werror" $E2E_ALL
	if [ "${SKIP_ASAN:-0}" = 1 ]; then
		not_run "(e)" "SKIP_ASAN=1"
	elif [ $asan_ok -ne 0 ]; then
		not_run "(e)" "the ASan build failed"
	else
		# only the tests Makefile.am lists
		# shellcheck disable=SC2046
		e2e_add "(e)" "$root/build-asan" $(for t in $E2E_ASAN_TESTS; do
			grep -qx "$t" <<<"$E2E_ALL" && echo "$t"; done)
	fi
	trap e2e_abort INT TERM
	say "(d)(e) ${#JOB_NAME[@]} end-to-end runs, $E2E_JOBS at once" \
	    "(alone: ${E2E_ALONE:-none}), each within $E2E_TIMEOUT s"
	e2e_run
	trap - INT TERM
	rm -rf -- "$RUN_DIR"
	if [ ${#E2E_TIMES[@]} -gt 0 ]; then
		printf '%s\n' "${E2E_TIMES[@]}" | sort -nr >"$logs/e2e-times"
		say "(d)(e) end-to-end wall time $(( $(date +%s) - e2e_t0 )) s;" \
		    "test times (s): $(sort -nr "$logs/e2e-times" | awk '{ printf "%s%s %s %s", (NR > 1 ? ", " : ""), $2, $3, $1 }')"
	fi
fi

# ------------------------------------------------------------------------
# Report

if [ ${#FAILED_LOGS[@]} -gt 0 ]; then
	echo
	for entry in "${FAILED_LOGS[@]}"; do
		echo "======== FAILED: ${entry%%|*} (${entry#*|})"
		if [ -r "${entry#*|}" ]; then
			# Long build logs: the end says what broke.
			tail -n 200 "${entry#*|}"
		fi
		echo
	done
fi
if [ ${#FAILED_LOGS[@]} -gt 0 ] || [ ${#FAILED_NOTES[@]} -gt 0 ]; then
	# CI shows only the end of this output: name every failed check last.
	echo "======== failed checks"
	for entry in "${FAILED_LOGS[@]}"; do
		grep -E '^(not ok |FAIL:|Bail out)|:[0-9]+:[EF]:' "${entry#*|}" 2>/dev/null |
		    head -n 20 | sed "s|^|${entry%%|*}: |"
	done
	for entry in "${FAILED_NOTES[@]}"; do echo "$entry"; done
fi
if [ ${#SKIPS[@]} -gt 0 ]; then
	echo "======== skipped"
	for entry in "${SKIPS[@]}"; do echo "$entry"; done
fi
echo "$PASS passed, $FAIL failed, $SKIP skipped"
[ "$FAIL" -eq 0 ] && [ "$PASS" -gt 0 ]
