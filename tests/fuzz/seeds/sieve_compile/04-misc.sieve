require ["body", "include", "variables", "date", "index", "envelope", "subaddress", "reject", "ihave", "duplicate", "enotify", "foreverypart", "mime", "extracttext", "environment"];
if body :content "text" :contains "x" { reject "no"; }
if envelope :detail "to" "lists" { include :personal :once "lists"; }
if date :index 1 :last :zone "+0200" "received" "weekday" "0" { keep; }
if ihave "ereject" { error "x"; }
if duplicate :seconds 60 :header "message-id" { discard; }
notify :importance "2" "mailto:me@example.com";
foreverypart :name "p" { if header :mime :type "Content-Type" "image" { extracttext :first 10 "t"; break :name "p"; } }
if environment :is "domain" "example.com" { global "x"; return; }
