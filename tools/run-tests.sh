#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# The test command: installs dependencies, then
#   (a) build-werror/: configure --enable-werror, make, make check
#       (Check unit suites + tests/unit/conf.sh)
#   (b) build-asan/:   configure --enable-sanitizers --enable-werror, make check
#       (the same suites under ASan + UBSan)
#   (c) build-fuzz/:   CC=clang configure --enable-fuzz; each libFuzzer
#       harness runs FUZZ_TIME seconds (default 30) over its corpus
#   (d) build-werror/: make check-e2e (network-namespace end-to-end tests, root)
# then prints the log of everything that failed and, as the very last line,
# "N passed, N failed", counting Check test cases, "ok"/"not ok" lines of the
# script tests, each fuzzer run, and each build step that failed.
# Exit status 0 only if nothing failed.
#
# Environment: JOBS (make -j, default 2), FUZZ_TIME (seconds, default 30),
# SKIP_DEPS=1 (do not run tools/install-deps.sh), SKIP_E2E=1, SKIP_FUZZ=1,
# SKIP_ASAN=1 (each part that is skipped is reported, not counted).

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
	local dir=$1 title=$2 pat=$3 trs log name res checks p f
	for trs in "$dir"/tests/$pat.trs; do
		[ -e "$trs" ] || continue
		log=${trs%.trs}.log
		name=${trs##*/}; name=${name%.trs}
		res=$(sed -n 's/^:test-result: //p' "$trs" | head -n1)
		case $name in
		check_*)
			# "100%: Checks: 12, Failures: 0, Errors: 0", one per suite.
			checks=$(grep -Eo 'Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' \
			    "$log" 2>/dev/null | awk -F'[:,] *' \
			    '{ c += $2; f += $4 + $6 } END { if (NR) print c - f, f }')
			if [ -n "$checks" ]; then
				read -r p f <<<"$checks"
			else
				p=0 f=0
			fi ;;
		*)
			p=$(grep -c '^ok ' "$log" 2>/dev/null)
			f=$(grep -c '^not ok ' "$log" 2>/dev/null) ;;
		esac
		p=${p:-0} f=${f:-0}
		case $res in
		PASS|XFAIL)
			[ $((p + f)) -eq 0 ] && p=1 ;;
		SKIP)
			SKIP=$((SKIP + 1))
			say "$title $name: skipped" ;;
		*)	# FAIL, ERROR, XPASS: at least one failure, whatever it printed
			[ "$f" -eq 0 ] && f=1 ;;
		esac
		PASS=$((PASS + p))
		FAIL=$((FAIL + f))
		if [ "$f" -gt 0 ]; then
			FAILED_LOGS+=("$title $name|$log")
		fi
	done
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

werror_ok=1
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
	say "(b) skipped (SKIP_ASAN=1)"
elif [ $autogen_ok -eq 0 ] &&
    step "(b) configure --enable-sanitizers --enable-werror" \
	"$logs/asan-configure.log" \
	configure_in build-asan --enable-sanitizers --enable-werror &&
    step "(b) make" "$logs/asan-make.log" timeout 1800 make -C build-asan -j"$JOBS"; then
	clean_test_logs build-asan '*/*'
	run_check "(b)" "$logs/asan-check.log" build-asan '*/*' -j"$JOBS" check
fi

# ------------------------------------------------------------------------
# (c) libFuzzer harnesses.  The library is built with fuzzer-no-link
# instrumentation too (CFLAGS), so the fuzzers see coverage inside lib/.

FUZZERS="fuzz_pkt fuzz_ipv4 fuzz_json"
if [ "${SKIP_FUZZ:-0}" = 1 ]; then
	say "(c) skipped (SKIP_FUZZ=1)"
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
# (d) end-to-end tests, from the -Werror build

if [ "${SKIP_E2E:-0}" = 1 ]; then
	say "(d) skipped (SKIP_E2E=1)"
elif [ $werror_ok -eq 0 ]; then
	clean_test_logs build-werror 'e2e/e2e_*'
	if [ "$(id -u)" != 0 ]; then
		say "(d) not root: the end-to-end tests will skip themselves"
	fi
	say "(d) make check-e2e"
	timeout 7200 make -C "$root/build-werror" check-e2e \
	    >"$logs/e2e-check.log" 2>&1
	rc=$?
	if ls "$root"/build-werror/tests/e2e/e2e_*.trs >/dev/null 2>&1; then
		fail_before=$FAIL
		collect "$root/build-werror" "(d)" 'e2e/e2e_*'
		if [ $rc -ne 0 ] && [ $FAIL -eq $fail_before ]; then
			FAIL=$((FAIL + 1))
			FAILED_LOGS+=("(d) make check-e2e|$logs/e2e-check.log")
		fi
	elif [ $rc -ne 0 ] && ! grep -q 'failed to create tests/e2e/e2e_' "$logs/e2e-check.log"; then
		# Broke before running any test (e.g. the build).
		FAIL=$((FAIL + 1))
		FAILED_LOGS+=("(d) make check-e2e|$logs/e2e-check.log")
	else
		# automake writes .log rules only for the extensions it knows
		# (TEST_EXTENSIONS) and for the tests listed in TESTS, so
		# overriding TESTS with *.sh scripts runs nothing.
		say "(d) make check-e2e ran no test (Makefile.am needs"
		say "    'TEST_EXTENSIONS = .sh' and 'SH_LOG_COMPILER = \$(SHELL)');"
		say "    running the E2E_TESTS scripts directly instead"
		e2e=$(sed -n '/^E2E_TESTS *=/,/[^\\]$/p' Makefile.am |
		    sed 's/^E2E_TESTS *=//; s/\\$//' | tr -s ' \t\n' ' ')
		for t in $e2e; do
			out=$root/build-werror/${t%.sh}	# tests/e2e/NAME
			mkdir -p "${out%/*}"
			say "(d) $t"
			(top_srcdir=$root top_builddir=$root/build-werror \
			    timeout 1800 bash "$root/$t") \
			    >"$out.log" 2>&1
			case $? in
			0) res=PASS ;; 77) res=SKIP ;; *) res=FAIL ;;
			esac
			echo ":test-result: $res" >"$out.trs"
		done
		collect "$root/build-werror" "(d)" 'e2e/e2e_*'
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
	# CI shows only the end of this output: name every failed check last.
	echo "======== failed checks"
	for entry in "${FAILED_LOGS[@]}"; do
		grep -E '^(not ok |FAIL:|Bail out)|:[0-9]+:[EF]:' "${entry#*|}" 2>/dev/null |
		    head -n 20 | sed "s|^|${entry%%|*}: |"
	done
fi
[ "$SKIP" -gt 0 ] && say "$SKIP test programs skipped"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ] && [ "$PASS" -gt 0 ]
