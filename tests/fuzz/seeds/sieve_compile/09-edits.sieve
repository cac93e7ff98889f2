require ["foreverypart", "mime", "replace", "enclose", "variables"];
foreverypart { if header :mime :type "Content-Type" "application" { replace :mime :subject "s" "Content-Type: text/plain\r\n\r\ngone"; } }
if header :matches "subject" "*" { replace :subject "was ${1}" :from "me@example.org" "text"; }
enclose :subject "Suspect" :headers ["From", "Date"] "See the attachment.";
