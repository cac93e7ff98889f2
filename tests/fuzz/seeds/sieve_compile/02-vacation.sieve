require ["vacation", "vacation-seconds", "variables"];
if header :matches "subject" "*" { set "subj" "${1}"; }
vacation :seconds 1800 :subject "Re: ${subj}" :addresses ["a@example.com"] text:
I'm away until October 19.
..dot
.
;
