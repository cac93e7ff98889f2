require ["encoded-character", "fileinto", "variables"];
set "x" "${hex:41 42 43}";
fileinto "INBOX.${unicode:263a 1F600}${x}";
