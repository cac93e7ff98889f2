/* Scripts for test_sieve_compile: RFC examples that must compile, and
 * broken scripts with the error each must give. */

static const char *const valid[] = {
	/* RFC 5228 section 9 */
	"#\n# Example Sieve Filter\n# Declare any optional features or extension used by the script\n#\n"
	"require [\"fileinto\"];\n\n"
	"#\n# Handle messages from known mailing lists\n# Move messages from IETF filter discussion list to filter mailbox\n#\n"
	"if header :is \"Sender\" \"owner-ietf-mta-filters@imc.org\"\n        {\n"
	"        fileinto \"filter\";  # move to \"filter\" mailbox\n        }\n"
	"#\n# Keep all messages to or from people in my company\n#\n"
	"elsif address :DOMAIN :is [\"From\", \"To\"] \"example.com\"\n        {\n"
	"        keep;               # keep in \"In\" mailbox\n        }\n\n"
	"#\n# Try and catch unsolicited email.  If a message is not to me,\n"
	"# or it contains a subject known to be spam, file it away.\n#\n"
	"elsif anyof (NOT address :all :contains\n               [\"To\", \"Cc\", \"Bcc\"] \"me@example.com\",\n"
	"             header :matches \"subject\"\n               [\"*make*money*fast*\", \"*university*dipl*mas*\"])\n        {\n"
	"        fileinto \"spam\";   # move to \"spam\" mailbox\n        }\n"
	"else\n        {\n"
	"        # Move all other (non-company) mail to \"personal\"\n        # mailbox.\n"
	"        fileinto \"personal\";\n        }\n",
	/* RFC 5228 section 2.4.2: multi-line strings, dot-stuffing */
	"require \"reject\";\nif size :over 1M {\n reject text:\n"
	"Please do not send me large attachments.\n..dot-stuffed\n.\n;\n}\n",
	"if size :under 10K { keep; } else { discard; }",
	"/* bracket\n comment */ keep; # hash comment",
	"if true { stop; }",
	"if allof (exists \"From\", not exists \"X-Spam\", false) { discard; }",
	"require \"envelope\";\nif envelope :all :is \"from\" \"tim@example.com\" { discard; }",
	"redirect \"bart@example.com\";",
	"if header :comparator \"i;octet\" :contains \"Subject\" \"MAKE MONEY FAST\" { discard; }",
	/* RFC 5230 */
	"require \"vacation\";\nif header :contains \"subject\" \"cyrus\" {\n"
	"    vacation \"I'm out -- send mail to cyrus-bugs\";\n} else {\n"
	"    vacation \"I'm out -- call me at +1 304 555 0123\";\n}",
	"require \"vacation\";\nvacation :days 23 :addresses [\"tjs@example.edu\",\n"
	"    \"ts4z@landru.example.edu\"]\n    \"I'm away until October 19.\n"
	"    If it's an emergency, call 911, I guess.\" ;",
	"require \"vacation\";\nvacation :mime text:\nContent-Type: multipart/alternative; boundary=foo\n\n--foo\n.\n;",
	"require [\"vacation\", \"vacation-seconds\"];\nvacation :seconds 1800 :handle \"ho\" :from \"me@example.com\" :subject \"away\" \"gone\";",
	/* RFC 5233 */
	"require [\"envelope\", \"subaddress\", \"fileinto\"];\n"
	"if envelope :user \"to\" \"postmaster\" {\n    fileinto \"inbox.postmaster\";\n    stop;\n}\n"
	"if envelope :detail \"to\" \"mta-filters\" {\n    fileinto \"inbox.ietf-mta-filters\";\n}",
	/* RFC 5231 */
	"require [\"relational\", \"comparator-i;ascii-numeric\"];\n"
	"if header :value \"lt\" :comparator \"i;ascii-numeric\" [\"x-priority\"] [\"3\"] { keep; }\n"
	"if address :count \"ge\" :comparator \"i;ascii-numeric\" [\"to\", \"cc\"] [\"3\"] { discard; }",
	/* RFC 5232 */
	"require [\"imap4flags\", \"fileinto\"];\n"
	"if header :contains \"from\" \"boss@example.com\" {\n"
	"    setflag \"\\\\Flagged\";\n    fileinto :flags \"\\\\Deleted\" \"important\";\n"
	"} elsif hasflag :contains \"\\\\Seen\" { addflag [\"a\", \"b\"]; removeflag \"a\"; keep :flags \"x\"; }",
	"require [\"imap4flags\", \"variables\"];\nset \"MyFlags\" \"\";\naddflag \"MyFlags\" \"\\\\Seen\";\n"
	"if hasflag \"MyFlags\" \"\\\\Seen\" { keep; }",
	/* RFC 3894, RFC 5490 */
	"require [\"copy\", \"fileinto\", \"mailbox\"];\nfileinto :copy :create \"incoming\";\nredirect :copy \"a@b.c\";\n"
	"if mailboxexists \"Spam\" { fileinto \"Spam\"; }",
	/* RFC 5229 */
	"require [\"variables\", \"fileinto\"];\n"
	"if header :matches \"List-ID\" \"*<*@*\" {\n    fileinto \"INBOX.lists.${2}\"; stop;\n}\n"
	"set \"state\" \"${state} pending\";\nset :upper :lowerfirst :length \"n\" \"${state}\";\n"
	"if string :is \"${state}\" \"x\" { keep; }",
	/* regex */
	"require [\"regex\", \"fileinto\"];\nif header :regex \"subject\" \"^\\\\[([a-z]+)\\\\]\" { fileinto \"x\"; }",
	/* RFC 5173 */
	"require \"body\";\nif body :raw :contains \"MAKE MONEY FAST\" { discard; }\n"
	"if body :content \"text\" :contains \"project schedule\" { keep; }\n"
	"if body :text :matches \"*x*\" { stop; }",
	/* RFC 6609 */
	"require [\"include\", \"variables\"];\ninclude :personal \"always_allow\";\n"
	"include :global :once :optional \"spam_tests\";\nglobal \"test\";\nreturn;",
	/* RFC 5260 */
	"require [\"date\", \"relational\", \"index\", \"fileinto\"];\n"
	"if allof(currentdate :value \"ge\" \"date\" \"2007-06-30\",\n"
	"         currentdate :zone \"+0100\" :value \"le\" \"date\" \"2007-07-07\") { fileinto \"x\"; }\n"
	"if date :index 1 :last :originalzone \"received\" \"weekday\" \"0\" { keep; }",
	/* RFC 5429, 5463, 7352, 5183, 5435 */
	"require [\"ereject\"];\nereject \"no\";",
	"require [\"ihave\"];\nif ihave \"fileinto\" { fileinto \"x\"; } else { error \"no fileinto\"; }",
	"require [\"duplicate\", \"fileinto\"];\nif duplicate :seconds 60 :header \"message-id\" { fileinto \"dups\"; }",
	"require \"environment\";\nif environment :contains \"item\" \"x\" { keep; }",
	"require [\"enotify\", \"variables\"];\nnotify :importance \"1\" :message \"hi ${1}\" \"mailto:a@example.com\";\n"
	"if valid_notify_method \"mailto:x@y\" { keep; }\n"
	"if notify_method_capability \"mailto:x@y\" \"online\" \"yes\" { keep; }",
	/* RFC 5703 */
	"require [\"foreverypart\", \"mime\", \"fileinto\", \"extracttext\", \"variables\"];\n"
	"foreverypart :name \"l\" {\n  if header :mime :subtype \"Content-Type\" \"pdf\" { fileinto \"pdf\"; break :name \"l\"; }\n"
	"  extracttext :first 100 \"t\";\n}\n"
	"if exists :mime :anychild \"Content-Type\" { keep; }",
	"require \"encoded-character\";\nkeep;",
	"",
};

struct invalid_script {
	const char *src;
	const char *err;
};

static const struct invalid_script invalid[] = {
	{ "fileinto \"x\";", "line 1, column 1: fileinto needs require \"fileinto\"" },
	{ "require \"frobnicate\";", "line 1, column 9: unknown extension \"frobnicate\"" },
	{ "keep;\nrequire \"fileinto\";", "line 2, column 1: require must come before" },
	{ "keep", "line 1, column 5: expected ';' or '{'" },
	{ "keep;\n  frob;", "line 2, column 3: unknown command \"frob\"" },
	{ "if fred { keep; }", "line 1, column 4: unknown test \"fred\"" },
	{ "if true { keep; ", "line 1, column 17: expected command or '}'" },
	{ "else { keep; }", "line 1, column 1: else without a preceding if" },
	{ "if true { keep; }\nkeep;\nelsif false { stop; }", "line 3, column 1: elsif without" },
	{ "/* never closed\nkeep;", "line 1, column 1: unterminated bracket comment" },
	{ "redirect \"never", "line 1, column 10: unterminated quoted string" },
	{ "require \"reject\";\nreject text:\nno end\n", "line 2, column 8: unterminated multi-line string" },
	{ "if size :over 99999999999999999999 { }", "line 1, column 15: number too large" },
	{ "if size :over 9007199254740992G { }", "line 1, column 15: number too large" },
	{ "if size :over 1X { }", "line 1, column 16: unexpected character after number" },
	{ "if size { keep; }", "line 1, column 4: size needs :over or :under" },
	{ "if size :over 1 :under 2 { keep; }", "line 1, column 17: :under conflicts" },
	{ "if header :is :contains \"a\" \"b\" { keep; }", "line 1, column 15: :contains conflicts" },
	{ "if header :is \"a\" { keep; }", "line 1, column 4: header: missing arguments" },
	{ "if header \"a\" \"b\" \"c\" { keep; }", "line 1, column 19: header: too many arguments" },
	{ "if header \"a\" :is \"b\" { keep; }", "line 1, column 15: header: tag :is after" },
	{ "if header :frob \"a\" \"b\" { keep; }", "line 1, column 11: header takes no tag :frob" },
	{ "if header :comparator \"i;nope\" \"a\" \"b\" { keep; }", "line 1, column 23: unknown comparator" },
	{ "if header :comparator \"i;ascii-numeric\" \"a\" \"b\" { keep; }", "line 1, column 23: i;ascii-numeric needs require" },
	{ "require \"relational\";\nif header :value \"lt\" :comparator \"i;ascii-numeric\" \"a\" \"b\" { }", "line 2, column 35: i;ascii-numeric needs require" },
	{ "if header :regex \"a\" \"b\" { keep; }", "line 1, column 11: :regex needs require \"regex\"" },
	{ "require \"regex\";\nif header :regex \"a\" \"(b\" { keep; }", "line 2, column 22: invalid regular expression" },
	{ "require \"regex\";\nif header :regex \"a\" \"(a)\\\\1\" { keep; }", "line 2, column 22: back-references" },
	{ "require \"regex\";\nif header :regex \"a\" \"a{1,1000}\" { keep; }", "line 2, column 22: repetition bound" },
	{ "require \"relational\";\nif header :count \"xx\" \"a\" \"b\" { keep; }", "line 2, column 18: unknown relational operator" },
	{ "if address :user \"to\" \"b\" { keep; }", "line 1, column 12: :user needs require \"subaddress\"" },
	{ "if envelope \"to\" \"b\" { keep; }", "line 1, column 4: envelope needs require" },
	{ "keep :flags \"x\";", "line 1, column 6: :flags needs require \"imap4flags\"" },
	{ "require \"fileinto\";\nfileinto :copy \"x\";", "line 2, column 10: :copy needs require \"copy\"" },
	{ "require \"fileinto\";\nfileinto [\"a\", \"b\"];", "line 2, column 10: fileinto: expected a string" },
	{ "redirect 5;", "line 1, column 10: redirect: expected a string" },
	{ "keep { stop; }", "line 1, column 1: keep takes no block" },
	{ "if true;", "line 1, column 1: if needs a block" },
	{ "if true, false { }", "line 1, column 8: expected ';' or '{'" },
	{ "if allof true { }", "line 1, column 10: allof: expected a test list" },
	{ "require \"vacation\";\nvacation :days \"x\" \"r\";", "line 2, column 10: :days needs a number" },
	{ "require \"vacation\";\nvacation :days 1 :seconds 2 \"r\";", "line 2, column 18: :seconds needs require" },
	{ "require [\"vacation\", \"vacation-seconds\"];\nvacation :days 1 :seconds 2 \"r\";", "line 2, column 18: :seconds conflicts" },
	{ "require \"variables\";\nset \"a.b\" \"c\";", "line 2, column 5: invalid variable name" },
	{ "require \"variables\";\nset \"1\" \"c\";", "line 2, column 5: invalid variable name" },
	{ "require \"variables\";\nset :lower :upper \"a\" \"c\";", "line 2, column 12: :upper conflicts" },
	{ "require \"variables\";\nif string \"${env.x}\" \"a\" { }", "line 2, column 11: unknown variable namespace" },
	{ "require \"date\";\nif currentdate \"century\" \"x\" { }", "line 2, column 16: unknown date part" },
	{ "require \"date\";\nif currentdate :zone \"+2500\" \"year\" \"x\" { }", "line 2, column 22: invalid time zone" },
	{ "require \"date\";\nif date :last \"date\" \"year\" \"x\" { }", "line 2, column 9: :last needs require \"index\"" },
	{ "require [\"date\", \"index\"];\nif date :last \"date\" \"year\" \"x\" { }", "line 2, column 4: :last needs :index" },
	{ "require \"include\";\ninclude \"../x\";", "line 2, column 9: invalid script name" },
	{ "require \"include\";\nglobal \"x\";", "line 2, column 1: global needs require \"variables\"" },
	{ "require \"enotify\";\nnotify \"xmpp:a@b\";", "line 2, column 8: unsupported notification method" },
	{ "require \"enotify\";\nnotify :importance \"4\" \"mailto:a@b\";", "line 2, column 20: :importance must be" },
	{ "require \"mime\";\nif header :anychild \"a\" \"b\" { }", "line 2, column 4: :anychild needs :mime" },
	{ "if header :is [\"a\" \"b\"] \"c\" { }", "line 1, column 20: expected ',' or ']'" },
	{ "if header :is [] \"c\" { }", "line 1, column 16: expected string" },
	{ "keep;\n\n   @", "line 3, column 4: unexpected character" },
	{ "if not { }", "line 1, column 4: not: missing arguments" },
	{ "require \"foreverypart\";\nif true { break; }", "line 2, column 11: break outside foreverypart" },
	{ "require [\"extracttext\", \"variables\"];\nextracttext \"x\";", "line 2, column 1: extracttext outside foreverypart" },
	{ "require \"foreverypart\";\nforeverypart :name \"a\" { foreverypart { break :name \"b\"; } }", "line 2, column 53: no enclosing foreverypart named \"b\"" },
	{ "require [\"encoded-character\", \"fileinto\"];\nfileinto \"${unicode:d800}\";", "line 2, column 10: encoded character outside Unicode" },
	{ "error \"x\";", "line 1, column 1: error needs require \"ihave\"" },
};
