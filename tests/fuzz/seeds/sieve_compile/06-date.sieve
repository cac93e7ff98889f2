require ["date","relational","index"];
if date :value "ge" :index 1 "received" "std11" "x" { keep; }
if date :originalzone :is "date" "julian" "1" { discard; }
