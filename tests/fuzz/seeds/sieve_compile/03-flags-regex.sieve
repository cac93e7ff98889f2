require ["imap4flags", "fileinto", "regex", "relational", "comparator-i;ascii-numeric", "copy", "mailbox"];
if header :regex "subject" "^\\[([a-z]+)\\]" { fileinto :copy :create :flags "\\Seen" "lists"; }
if header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "5" { addflag "$Junk"; discard; stop; }
/* size */ if size :over 10M { removeflag "x"; }
