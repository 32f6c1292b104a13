#!/bin/bash
# t0000: the command line: help, version, usage errors and exit codes.
. "$(dirname "$0")/lib.sh"

test_expect_success 'postdesk --help lists the commands' '
	"$POSTDESK" --help >out &&
	test_grep "Usage: postdesk" out &&
	for c in init check deliver import run status queue webhook quarantine digest ticket message filter report backup; do
		test_grep "^  $c " out || exit 1
	done
'

test_expect_success 'postdesk --version' '
	"$POSTDESK" --version >out &&
	test_grep "^postdesk [0-9]" out
'

test_expect_code 64 'no command is a usage error' '"$POSTDESK"'
test_expect_code 64 'unknown command is a usage error' '"$POSTDESK" frobnicate 2>err'
test_expect_success 'unknown command says so' '
	"$POSTDESK" frobnicate 2>err; test_grep "unknown command" err && test_grep Usage err
'
test_expect_code 64 'unknown global option' '"$POSTDESK" --frob init'
test_expect_code 64 'unknown command option' 'setup_gateway && pd init --frob'
test_expect_code 64 '-c without a file' '"$POSTDESK" -c'

for c in init check deliver import ticket message quarantine backup run status queue webhook digest filter report; do
	test_expect_success "postdesk $c --help" '
		"$POSTDESK" '"$c"' --help >out 2>&1 &&
		test_grep "postdesk '"$c"'" out
	'
done

test_expect_success 'ticket subcommands have --help' '
	for s in list show search; do "$POSTDESK" ticket $s --help >out && test_grep "ticket $s" out || exit 1; done
'
test_expect_code 64 'unknown ticket subcommand' 'setup_gateway && pd ticket frob'
test_expect_success 'webhook subcommands have --help' '
	for s in test list retry; do "$POSTDESK" webhook $s --help >out && test_grep "webhook $s" out || exit 1; done
'
test_expect_code 64 'unknown webhook subcommand' 'setup_gateway && pd webhook frob'

test_expect_success 'report subcommands have --help' '
	"$POSTDESK" report contributions --help >out && test_grep "report contributions" out
'
test_expect_code 64 'report contributions needs --from and --to' \
	'setup_gateway && pd report contributions --from 2026-11-01'

test_expect_success 'config from $POSTDESK_CONF, then ./postdesk.conf' '
	setup_gateway &&
	POSTDESK_CONF="$T/postdesk.conf" "$POSTDESK" ticket list >out &&
	(cd "$T" && "$POSTDESK" ticket list >out2)
'
test_expect_code 78 'a missing config file is a config error' '"$POSTDESK" -c "$T/nope.conf" init'
test_done
