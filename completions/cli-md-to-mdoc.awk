# Turns the "## JSON output" section of docs/cli.md into mdoc for the man
# page, so the schemas are written once (in docs/cli.md) and the man page
# has them too. Handles what that section uses: ### headings, paragraphs,
# `| key | type | meaning |` tables and 4-space indented examples.
#
#   awk -f completions/cli-md-to-mdoc.awk docs/cli.md

function plain(text) {
    gsub(/`/, "", text)
    while (match(text, /\[[^]]*\]\([^)]*\)/)) {  # [text](link) -> text
        link = substr(text, RSTART, RLENGTH)
        sub(/\]\(.*/, "", link)
        text = substr(text, 1, RSTART - 1) substr(link, 2) substr(text, RSTART + RLENGTH)
    }
    gsub(/\\/, "\\e", text)
    if (text ~ /^[.']/) text = "\\&" text
    return text
}
function cell(text) { sub(/^ +/, "", text); sub(/ +$/, "", text); return plain(text) }
function close_block() {
    if (inlist) print ".El"
    if (inliteral) print ".Ed"
    inlist = 0
    inliteral = 0
}

/^## / { insection = ($0 == "## JSON output"); if (insection) print ".Sh \"JSON OUTPUT\""; next }
!insection { next }
/^### / { close_block(); print ".Ss \"" plain(substr($0, 5)) "\""; next }
/^\| *(key|---)/ {
    if (!inlist) { close_block(); print ".Bl -tag -width 6n"; inlist = 1 }
    next
}
/^\|/ {
    n = split($0, cells, "|")
    print ".It Li " cell(cells[2])
    type = cell(cells[3]); meaning = cell(cells[4])
    print (meaning == "" ? type : type " \\(em " meaning)
    next
}
/^    / {
    if (!inliteral) { close_block(); print ".Bd -literal"; inliteral = 1 }
    print plain(substr($0, 5))
    next
}
/^$/ { if (!inliteral) { close_block(); print ".Pp" }; next }
{ close_block(); print plain($0) }
END { close_block() }
