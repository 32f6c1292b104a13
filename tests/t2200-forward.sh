#!/bin/bash
# t2200: forward detection through pd-test forward (src/mime-forward.c):
# the fields a forward yields from a whole message and from a bare body,
# messages that are not forwards, and the helper's exit codes. The
# per-client fixtures are checked field by field in tests/unit/test-forward.
. "$(dirname "$0")/lib.sh"
D="$DATA/forward"

test_expect_success 'a Gmail forward: every field' '
	"$PD_TEST" forward "$D/gmail-en.eml" >out &&
	cat >expect <<-\EOT &&
	count: 1
	[1]
	style: gmail
	author_name: Alice Example
	author_address: alice@example.com
	date_text: Mon, Nov 16, 2026 at 9:15 AM
	date: 2026-11-16T09:15:00Z
	subject: Printer driver crashes on start
	message_id: (null)
	references: 
	note: Hi support,\n\na question from the users list, can you take it?\n\nThanks,\nMoritz
	body: Hello,\n\nthe printer driver 4.2 crashes right after start on Debian 12.\nAny idea?\n\nAlice
	EOT
	test_cmp expect out
'

test_expect_success 'two messages forwarded as attachments' '
	"$PD_TEST" forward "$D/attached-two.eml" >out &&
	test_grep "^count: 2$" out &&
	test "$(grep -c "^style: attached$" out)" = 2 &&
	test_grep "^author_address: dan@dawson.example$" out &&
	test_grep "^author_address: eve@evans.example$" out &&
	test_grep "^references: r1@dawson.example$" out
'

test_expect_success 'a body on stdin with --text, CRLF line ends' '
	printf "FYI\r\n\r\n-----Original Message-----\r\nFrom: Bob <bob@example.com>\r\nSent: Monday, November 16, 2026 3:45 PM\r\nSubject: Help\r\n\r\nPlease help.\r\n" |
		"$PD_TEST" forward --text - >out &&
	test_grep "^style: outlook$" out &&
	test_grep "^author_address: bob@example.com$" out &&
	test_grep "^date: 2026-11-16T15:45:00Z$" out &&
	test_grep "^note: FYI$" out &&
	test_grep "^body: Please help.$" out
'

test_expect_success 'replies, signatures and bounces are not forwards' '
	for f in not-reply-quoted not-reply-quoting-forward not-from-in-text \
		 not-signature not-bounce; do
		"$PD_TEST" forward "$D/$f.eml" >out &&
		echo "count: 0" >expect &&
		test_cmp expect out || exit 1
	done
'

test_expect_code 2 'no file: usage' '"$PD_TEST" forward'
test_expect_code 1 'a file that does not exist' '"$PD_TEST" forward "$T/none.eml"'
test_expect_code 1 'input that is no message' 'printf "" | "$PD_TEST" forward -'

test_done
