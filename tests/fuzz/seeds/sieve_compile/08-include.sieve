require ["include", "variables", "relational"];
global "g";
set "g" "${g}a";
if string :count "ge" "${g}" "1" { return; }
include :once "s"; include :optional "x"; include "s";
