require ["foreverypart", "mime", "variables", "fileinto"];
foreverypart :name "o" { foreverypart { if header :mime :anychild :param "name" "content-type" "*.pdf" { set "x" "${x}${1}"; break :name "o"; } } if exists :mime "Content-Type" { break; } }
if header :mime :contenttype :anychild "content-type" "text/plain" { fileinto "t"; }
