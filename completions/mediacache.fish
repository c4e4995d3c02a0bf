function __mediacache_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __mediacache_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __mediacache_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __mediacache_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __mediacache_parse_tokens -S
    set -l unparsed_tokens (__mediacache_tokens -pc)
    switch $unparsed_tokens[1]
    case 'mediacache'
        __mediacache_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'fetch'
            __mediacache_parse_subcommand -r 1 'cache-dir=' 'vllm-python=' 'max-size=' 'ttl=' 'max-entries=' 'min-free=' 'shared' 'durable' 'dedupe' 'i/input=+' 'j/jobs=' 'force' 'no-redirects' 'max-bytes=' 'connect-timeout=' 'timeout=' 'retries=' 'allow-domain=+' 'negative-ttl=' 'negative-status=+' 'remote=+' 'no-remote' 'remote-key=' 'remote-wait=' 'json' 'q/quiet' 'version' 'h/help'
        case 'get'
            __mediacache_parse_subcommand 1 'cache-dir=' 'vllm-python=' 'max-size=' 'ttl=' 'max-entries=' 'min-free=' 'shared' 'durable' 'o/output=' 'path' 'fetch' 'stale-if-error=' 'force' 'no-redirects' 'max-bytes=' 'connect-timeout=' 'timeout=' 'retries=' 'allow-domain=+' 'negative-ttl=' 'negative-status=+' 'dedupe' 'remote=+' 'no-remote' 'remote-key=' 'remote-wait=' 'q/quiet' 'version' 'h/help'
        case 'put'
            __mediacache_parse_subcommand 2 'cache-dir=' 'vllm-python=' 'max-size=' 'ttl=' 'max-entries=' 'min-free=' 'shared' 'durable' 'dedupe' 'content-type=' 'allow-empty' 'allow-html' 'q/quiet' 'version' 'h/help'
        case 'push'
            __mediacache_parse_subcommand 0 'cache-dir=' 'vllm-python=' 'j/jobs=' 'dry-run' 'remote=+' 'no-remote' 'remote-key=' 'remote-wait=' 'json' 'q/quiet' 'version' 'h/help'
        case 'evict'
            __mediacache_parse_subcommand -r 1 'cache-dir=' 'vllm-python=' 'max-size=' 'ttl=' 'max-entries=' 'min-free=' 'shared' 'durable' 'key=+' 'older-than=' 'all' 'dry-run' 'yes' 'json' 'q/quiet' 'version' 'h/help'
        case 'prune'
            __mediacache_parse_subcommand 0 'cache-dir=' 'vllm-python=' 'max-size=' 'ttl=' 'max-entries=' 'min-free=' 'shared' 'durable' 'dry-run' 'leftover-age=' 'json' 'q/quiet' 'version' 'h/help'
        case 'stats'
            __mediacache_parse_subcommand 0 'cache-dir=' 'vllm-python=' 'max-size=' 'ttl=' 'max-entries=' 'min-free=' 'json' 'q/quiet' 'format=' 'o/output=' 'reset' 'remote=+' 'no-remote' 'remote-key=' 'remote-wait=' 'version' 'h/help'
        case 'list' 'ls'
            __mediacache_parse_subcommand 0 'cache-dir=' 'vllm-python=' 'sort=' 'reverse' 'limit=' 'f/filter=+' 'json' 'q/quiet' 'version' 'h/help'
        case 'verify'
            __mediacache_parse_subcommand 0 'cache-dir=' 'vllm-python=' 'fix' 'json' 'q/quiet' 'version' 'h/help'
        case 'key'
            __mediacache_parse_subcommand -r 1 'cache-dir=' 'vllm-python=' 'path' 'version' 'h/help'
        case 'doctor'
            __mediacache_parse_subcommand 0 'cache-dir=' 'vllm-python=' 'max-size=' 'ttl=' 'max-entries=' 'min-free=' 'fix' 'no-calibration' 'json' 'q/quiet' 'version' 'h/help'
        case 'dir'
            __mediacache_parse_subcommand 0 'cache-dir=' 'vllm-python=' 'max-size=' 'ttl=' 'max-entries=' 'min-free=' 'v/verbose' 'version' 'h/help'
        case 'help'
            __mediacache_parse_subcommand -r 1 'version'
        end
    end
end

function __mediacache_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __mediacache_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands (string replace -r '^ls$' 'list' -- $unparsed_tokens[1])
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __mediacache_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __mediacache_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__mediacache_tokens -p)
    if test -z "$(__mediacache_tokens -t)"
        set -l index (count (__mediacache_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'mediacache' -f
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache" version' -l 'version' -d 'Show the version.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_positional "mediacache" -eq 1' -fa 'fetch' -d 'Download URLs into the cache in parallel (prewarm).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_positional "mediacache" -eq 1' -fa 'get' -d 'Write a cached URL\'s bytes to stdout; exit 1 on a miss.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_positional "mediacache" -eq 1' -fa 'put' -d 'Store the bytes of a file or stdin under a URL; print the entry\'s path.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_positional "mediacache" -eq 1' -fa 'push' -d 'Upload local entries that the shared tier lacks (vLLM\'s entries too).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_positional "mediacache" -eq 1' -fa 'evict' -d 'Remove entries by URL, by key, by age, or all of them.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_positional "mediacache" -eq 1' -fa 'prune' -d 'Remove expired entries, then the least recently used down to the size limit (and up to the free-space floor).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_positional "mediacache" -eq 1' -fa 'stats' -d 'Show entries, size, fill, expiry and hit/miss counters.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_positional "mediacache" -eq 1' -fa 'list' -d 'List entries: key, size, last use and URL (when known).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_positional "mediacache" -eq 1' -fa 'verify' -d 'Re-hash entries against their recorded SHA-256; report corrupt, poisoned, foreign and planted entries.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_positional "mediacache" -eq 1' -fa 'key' -d 'Print the entry file name (key) vLLM and mediacache use for each URL.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_positional "mediacache" -eq 1' -fa 'doctor' -d 'Check a cache directory for what breaks or slows vLLM or mediacache there.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_positional "mediacache" -eq 1' -fa 'dir' -d 'Print the cache directory the other commands would use.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_positional "mediacache" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" cache-dir' -l 'cache-dir' -d 'Cache directory (default: $MEDIACACHE_DIR, $VLLM_MEDIA_CACHE, $XDG_CACHE_HOME/mediacache, ~/.cache/mediacache).' -rfa '(__mediacache_complete_directories)'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" vllm-python' -l 'vllm-python' -d 'The Python version that runs vLLM (3.10 to 3.14): 3.14 names a few files differently; reads look under both names (default: $MEDIACACHE_VLLM_PYTHON or 3.13).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" max-size' -l 'max-size' -d 'Size limit: 500K, 500M, 5G, 5GiB, 1T or bytes; powers of 1024 (default: $MEDIACACHE_MAX_SIZE, $VLLM_MEDIA_CACHE_MAX_SIZE_MB or 5120M).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" ttl' -l 'ttl' -d 'Time to live since last use: 90s, 30m, 24h, 7d, 1h30m (default: $MEDIACACHE_TTL, $VLLM_MEDIA_CACHE_TTL_HOURS or 24h).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" max-entries' -l 'max-entries' -d 'Keep at most this many entries, least recently used evicted first (default: $MEDIACACHE_MAX_ENTRIES or no limit); vLLM lists the whole directory on every store, see `mediacache doctor`.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" min-free' -l 'min-free' -d 'Keep this much free on the cache\'s file system: writes and prune also evict least recently used entries until it is (500M, 5G; default: $MEDIACACHE_MIN_FREE or none).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" shared' -l 'shared' -d 'Create a new cache directory with group access (mode 2770) instead of 0700.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" durable' -l 'durable' -d 'fsync each entry before publishing it (survives power loss; slower).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" dedupe' -l 'dedupe' -d 'Store identical bodies once: bytes another entry already holds become a hard link to it (default: $MEDIACACHE_DEDUPE=1 or off; see docs/format.md for what vLLM then sees).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch"' -s 'i' -l 'input' -d 'Read URLs from this file, one per line; - for stdin.' -rF
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" j jobs' -s 'j' -l 'jobs' -d 'Concurrent transfers.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" force' -l 'force' -d 'Download even when a fresh entry exists.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" no-redirects' -l 'no-redirects' -d 'Refuse redirects instead of following up to 10.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" max-bytes' -l 'max-bytes' -d 'Refuse bodies larger than this (500K, 50M, 2G): no entry, an error.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" connect-timeout' -l 'connect-timeout' -d 'Seconds allowed to connect.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" timeout' -l 'timeout' -d 'Seconds one attempt may take in all (default: no limit; 60 s without data always fails).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" retries' -l 'retries' -d 'Retries for connection errors, 408, 429 and 5xx, with backoff; Retry-After is honoured.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch"' -l 'allow-domain' -d 'Only fetch from this host or its subdomains; repeatable.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" negative-ttl' -l 'negative-ttl' -d 'Remember a URL the origin answered 404 or 410 for this long: until then it fails at once without asking (--force asks; `evict URL` forgets); 0 turns it off (default: $MEDIACACHE_NEGATIVE_TTL or 5m).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch"' -l 'negative-status' -d 'An HTTP status to remember (instead of 404 and 410); repeatable.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch"' -l 'remote' -d 'A shared level, tried after the local directory and before the origin: URL|attribute|attribute=value (read-only, layout=default|bazel, connect-timeout=, timeout=, header=, bearer-token-file=, bearer-token-env=, key-file=, shards=, no-claims, claim-wait=); repeatable, in order (default: $MEDIACACHE_REMOTE, SPECs separated by spaces).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" no-remote' -l 'no-remote' -d 'Use no remote level, whatever $MEDIACACHE_REMOTE says.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" remote-key' -l 'remote-key' -d 'Sign records with HMAC-SHA256 under the key in this file, and take only records signed with it (default: $MEDIACACHE_REMOTE_KEY).' -rF
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" remote-wait' -l 'remote-wait' -d 'Seconds to wait at the end for uploads still queued; the rest are dropped and counted.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" json' -l 'json' -d 'Print JSON for scripts (the keys are in the command\'s description and docs/cli.md).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" q quiet' -l 'quiet' -s 'q' -d 'Print only errors and the data asked for (the command\'s description says which).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" version' -l 'version' -d 'Show the version.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache fetch" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" cache-dir' -l 'cache-dir' -d 'Cache directory (default: $MEDIACACHE_DIR, $VLLM_MEDIA_CACHE, $XDG_CACHE_HOME/mediacache, ~/.cache/mediacache).' -rfa '(__mediacache_complete_directories)'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" vllm-python' -l 'vllm-python' -d 'The Python version that runs vLLM (3.10 to 3.14): 3.14 names a few files differently; reads look under both names (default: $MEDIACACHE_VLLM_PYTHON or 3.13).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" max-size' -l 'max-size' -d 'Size limit: 500K, 500M, 5G, 5GiB, 1T or bytes; powers of 1024 (default: $MEDIACACHE_MAX_SIZE, $VLLM_MEDIA_CACHE_MAX_SIZE_MB or 5120M).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" ttl' -l 'ttl' -d 'Time to live since last use: 90s, 30m, 24h, 7d, 1h30m (default: $MEDIACACHE_TTL, $VLLM_MEDIA_CACHE_TTL_HOURS or 24h).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" max-entries' -l 'max-entries' -d 'Keep at most this many entries, least recently used evicted first (default: $MEDIACACHE_MAX_ENTRIES or no limit); vLLM lists the whole directory on every store, see `mediacache doctor`.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" min-free' -l 'min-free' -d 'Keep this much free on the cache\'s file system: writes and prune also evict least recently used entries until it is (500M, 5G; default: $MEDIACACHE_MIN_FREE or none).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" shared' -l 'shared' -d 'Create a new cache directory with group access (mode 2770) instead of 0700.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" durable' -l 'durable' -d 'fsync each entry before publishing it (survives power loss; slower).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" o output' -l 'output' -s 'o' -d 'Write the bytes to this file instead of stdout; - for stdout even when it is a terminal.' -rF
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" path' -l 'path' -d 'Print the entry\'s file path instead of its bytes (for tools that want a path).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" fetch' -l 'fetch' -d 'On a miss, download the URL into the cache first (counts as a miss), then output it.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" stale-if-error' -l 'stale-if-error' -d 'With --fetch: when the entry has expired and the origin fails (no connection, timeout, 408, 429, 5xx), output the expired bytes anyway, with a warning, if they expired less than this long ago; written --stale-if-error=DURATION, or bare for any age. The entry is kept as it is.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" force' -l 'force' -d 'Download even when a fresh entry exists.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" no-redirects' -l 'no-redirects' -d 'Refuse redirects instead of following up to 10.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" max-bytes' -l 'max-bytes' -d 'Refuse bodies larger than this (500K, 50M, 2G): no entry, an error.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" connect-timeout' -l 'connect-timeout' -d 'Seconds allowed to connect.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" timeout' -l 'timeout' -d 'Seconds one attempt may take in all (default: no limit; 60 s without data always fails).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" retries' -l 'retries' -d 'Retries for connection errors, 408, 429 and 5xx, with backoff; Retry-After is honoured.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get"' -l 'allow-domain' -d 'Only fetch from this host or its subdomains; repeatable.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" negative-ttl' -l 'negative-ttl' -d 'Remember a URL the origin answered 404 or 410 for this long: until then it fails at once without asking (--force asks; `evict URL` forgets); 0 turns it off (default: $MEDIACACHE_NEGATIVE_TTL or 5m).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get"' -l 'negative-status' -d 'An HTTP status to remember (instead of 404 and 410); repeatable.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" dedupe' -l 'dedupe' -d 'Store identical bodies once: bytes another entry already holds become a hard link to it (default: $MEDIACACHE_DEDUPE=1 or off; see docs/format.md for what vLLM then sees).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get"' -l 'remote' -d 'A shared level, tried after the local directory and before the origin: URL|attribute|attribute=value (read-only, layout=default|bazel, connect-timeout=, timeout=, header=, bearer-token-file=, bearer-token-env=, key-file=, shards=, no-claims, claim-wait=); repeatable, in order (default: $MEDIACACHE_REMOTE, SPECs separated by spaces).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" no-remote' -l 'no-remote' -d 'Use no remote level, whatever $MEDIACACHE_REMOTE says.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" remote-key' -l 'remote-key' -d 'Sign records with HMAC-SHA256 under the key in this file, and take only records signed with it (default: $MEDIACACHE_REMOTE_KEY).' -rF
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" remote-wait' -l 'remote-wait' -d 'Seconds to wait at the end for uploads still queued; the rest are dropped and counted.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" q quiet' -l 'quiet' -s 'q' -d 'Print only errors and the data asked for (the command\'s description says which).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" version' -l 'version' -d 'Show the version.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache get" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache put" cache-dir' -l 'cache-dir' -d 'Cache directory (default: $MEDIACACHE_DIR, $VLLM_MEDIA_CACHE, $XDG_CACHE_HOME/mediacache, ~/.cache/mediacache).' -rfa '(__mediacache_complete_directories)'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache put" vllm-python' -l 'vllm-python' -d 'The Python version that runs vLLM (3.10 to 3.14): 3.14 names a few files differently; reads look under both names (default: $MEDIACACHE_VLLM_PYTHON or 3.13).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache put" max-size' -l 'max-size' -d 'Size limit: 500K, 500M, 5G, 5GiB, 1T or bytes; powers of 1024 (default: $MEDIACACHE_MAX_SIZE, $VLLM_MEDIA_CACHE_MAX_SIZE_MB or 5120M).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache put" ttl' -l 'ttl' -d 'Time to live since last use: 90s, 30m, 24h, 7d, 1h30m (default: $MEDIACACHE_TTL, $VLLM_MEDIA_CACHE_TTL_HOURS or 24h).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache put" max-entries' -l 'max-entries' -d 'Keep at most this many entries, least recently used evicted first (default: $MEDIACACHE_MAX_ENTRIES or no limit); vLLM lists the whole directory on every store, see `mediacache doctor`.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache put" min-free' -l 'min-free' -d 'Keep this much free on the cache\'s file system: writes and prune also evict least recently used entries until it is (500M, 5G; default: $MEDIACACHE_MIN_FREE or none).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache put" shared' -l 'shared' -d 'Create a new cache directory with group access (mode 2770) instead of 0700.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache put" durable' -l 'durable' -d 'fsync each entry before publishing it (survives power loss; slower).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache put" dedupe' -l 'dedupe' -d 'Store identical bodies once: bytes another entry already holds become a hard link to it (default: $MEDIACACHE_DEDUPE=1 or off; see docs/format.md for what vLLM then sees).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_positional "mediacache put" -eq 1' -F
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache put" content-type' -l 'content-type' -d 'Content type to record, e.g. image/png.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache put" allow-empty' -l 'allow-empty' -d 'Store empty input as a 0-byte entry instead of refusing it.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache put" allow-html' -l 'allow-html' -d 'Store an HTML page under an image, audio or video URL instead of refusing it.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache put" q quiet' -l 'quiet' -s 'q' -d 'Print only errors and the data asked for (the command\'s description says which).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache put" version' -l 'version' -d 'Show the version.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache put" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache push" cache-dir' -l 'cache-dir' -d 'Cache directory (default: $MEDIACACHE_DIR, $VLLM_MEDIA_CACHE, $XDG_CACHE_HOME/mediacache, ~/.cache/mediacache).' -rfa '(__mediacache_complete_directories)'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache push" vllm-python' -l 'vllm-python' -d 'The Python version that runs vLLM (3.10 to 3.14): 3.14 names a few files differently; reads look under both names (default: $MEDIACACHE_VLLM_PYTHON or 3.13).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache push" j jobs' -s 'j' -l 'jobs' -d 'Concurrent uploads.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache push" dry-run' -l 'dry-run' -d 'Show what would be uploaded; upload nothing.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache push"' -l 'remote' -d 'A shared level, tried after the local directory and before the origin: URL|attribute|attribute=value (read-only, layout=default|bazel, connect-timeout=, timeout=, header=, bearer-token-file=, bearer-token-env=, key-file=, shards=, no-claims, claim-wait=); repeatable, in order (default: $MEDIACACHE_REMOTE, SPECs separated by spaces).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache push" no-remote' -l 'no-remote' -d 'Use no remote level, whatever $MEDIACACHE_REMOTE says.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache push" remote-key' -l 'remote-key' -d 'Sign records with HMAC-SHA256 under the key in this file, and take only records signed with it (default: $MEDIACACHE_REMOTE_KEY).' -rF
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache push" remote-wait' -l 'remote-wait' -d 'Seconds to wait at the end for uploads still queued; the rest are dropped and counted.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache push" json' -l 'json' -d 'Print JSON for scripts (the keys are in the command\'s description and docs/cli.md).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache push" q quiet' -l 'quiet' -s 'q' -d 'Print only errors and the data asked for (the command\'s description says which).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache push" version' -l 'version' -d 'Show the version.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache push" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache evict" cache-dir' -l 'cache-dir' -d 'Cache directory (default: $MEDIACACHE_DIR, $VLLM_MEDIA_CACHE, $XDG_CACHE_HOME/mediacache, ~/.cache/mediacache).' -rfa '(__mediacache_complete_directories)'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache evict" vllm-python' -l 'vllm-python' -d 'The Python version that runs vLLM (3.10 to 3.14): 3.14 names a few files differently; reads look under both names (default: $MEDIACACHE_VLLM_PYTHON or 3.13).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache evict" max-size' -l 'max-size' -d 'Size limit: 500K, 500M, 5G, 5GiB, 1T or bytes; powers of 1024 (default: $MEDIACACHE_MAX_SIZE, $VLLM_MEDIA_CACHE_MAX_SIZE_MB or 5120M).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache evict" ttl' -l 'ttl' -d 'Time to live since last use: 90s, 30m, 24h, 7d, 1h30m (default: $MEDIACACHE_TTL, $VLLM_MEDIA_CACHE_TTL_HOURS or 24h).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache evict" max-entries' -l 'max-entries' -d 'Keep at most this many entries, least recently used evicted first (default: $MEDIACACHE_MAX_ENTRIES or no limit); vLLM lists the whole directory on every store, see `mediacache doctor`.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache evict" min-free' -l 'min-free' -d 'Keep this much free on the cache\'s file system: writes and prune also evict least recently used entries until it is (500M, 5G; default: $MEDIACACHE_MIN_FREE or none).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache evict" shared' -l 'shared' -d 'Create a new cache directory with group access (mode 2770) instead of 0700.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache evict" durable' -l 'durable' -d 'fsync each entry before publishing it (survives power loss; slower).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache evict"' -l 'key' -d 'Remove the entry with this file name (as `list` shows); repeatable.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache evict" older-than' -l 'older-than' -d 'Remove entries unused for longer than this (90s, 30m, 24h, 7d).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache evict" all' -l 'all' -d 'Remove every entry.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache evict" dry-run' -l 'dry-run' -d 'List what would be removed; remove nothing.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache evict" yes' -l 'yes' -d 'Ask no question: remove everything even when run on a terminal (with --all).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache evict" json' -l 'json' -d 'Print JSON for scripts (the keys are in the command\'s description and docs/cli.md).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache evict" q quiet' -l 'quiet' -s 'q' -d 'Print only errors and the data asked for (the command\'s description says which).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache evict" version' -l 'version' -d 'Show the version.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache evict" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache prune" cache-dir' -l 'cache-dir' -d 'Cache directory (default: $MEDIACACHE_DIR, $VLLM_MEDIA_CACHE, $XDG_CACHE_HOME/mediacache, ~/.cache/mediacache).' -rfa '(__mediacache_complete_directories)'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache prune" vllm-python' -l 'vllm-python' -d 'The Python version that runs vLLM (3.10 to 3.14): 3.14 names a few files differently; reads look under both names (default: $MEDIACACHE_VLLM_PYTHON or 3.13).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache prune" max-size' -l 'max-size' -d 'Size limit: 500K, 500M, 5G, 5GiB, 1T or bytes; powers of 1024 (default: $MEDIACACHE_MAX_SIZE, $VLLM_MEDIA_CACHE_MAX_SIZE_MB or 5120M).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache prune" ttl' -l 'ttl' -d 'Time to live since last use: 90s, 30m, 24h, 7d, 1h30m (default: $MEDIACACHE_TTL, $VLLM_MEDIA_CACHE_TTL_HOURS or 24h).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache prune" max-entries' -l 'max-entries' -d 'Keep at most this many entries, least recently used evicted first (default: $MEDIACACHE_MAX_ENTRIES or no limit); vLLM lists the whole directory on every store, see `mediacache doctor`.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache prune" min-free' -l 'min-free' -d 'Keep this much free on the cache\'s file system: writes and prune also evict least recently used entries until it is (500M, 5G; default: $MEDIACACHE_MIN_FREE or none).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache prune" shared' -l 'shared' -d 'Create a new cache directory with group access (mode 2770) instead of 0700.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache prune" durable' -l 'durable' -d 'fsync each entry before publishing it (survives power loss; slower).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache prune" dry-run' -l 'dry-run' -d 'Print what would be removed; remove nothing.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache prune" leftover-age' -l 'leftover-age' -d 'Remove temp files and locks left by crashed processes once older than this.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache prune" json' -l 'json' -d 'Print JSON for scripts (the keys are in the command\'s description and docs/cli.md).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache prune" q quiet' -l 'quiet' -s 'q' -d 'Print only errors and the data asked for (the command\'s description says which).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache prune" version' -l 'version' -d 'Show the version.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache prune" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache stats" cache-dir' -l 'cache-dir' -d 'Cache directory (default: $MEDIACACHE_DIR, $VLLM_MEDIA_CACHE, $XDG_CACHE_HOME/mediacache, ~/.cache/mediacache).' -rfa '(__mediacache_complete_directories)'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache stats" vllm-python' -l 'vllm-python' -d 'The Python version that runs vLLM (3.10 to 3.14): 3.14 names a few files differently; reads look under both names (default: $MEDIACACHE_VLLM_PYTHON or 3.13).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache stats" max-size' -l 'max-size' -d 'Size limit: 500K, 500M, 5G, 5GiB, 1T or bytes; powers of 1024 (default: $MEDIACACHE_MAX_SIZE, $VLLM_MEDIA_CACHE_MAX_SIZE_MB or 5120M).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache stats" ttl' -l 'ttl' -d 'Time to live since last use: 90s, 30m, 24h, 7d, 1h30m (default: $MEDIACACHE_TTL, $VLLM_MEDIA_CACHE_TTL_HOURS or 24h).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache stats" max-entries' -l 'max-entries' -d 'Keep at most this many entries, least recently used evicted first (default: $MEDIACACHE_MAX_ENTRIES or no limit); vLLM lists the whole directory on every store, see `mediacache doctor`.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache stats" min-free' -l 'min-free' -d 'Keep this much free on the cache\'s file system: writes and prune also evict least recently used entries until it is (500M, 5G; default: $MEDIACACHE_MIN_FREE or none).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache stats" json' -l 'json' -d 'Print JSON for scripts (the keys are in the command\'s description and docs/cli.md).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache stats" q quiet' -l 'quiet' -s 'q' -d 'Print only errors and the data asked for (the command\'s description says which).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache stats" format' -l 'format' -d 'Output form: text, json (the same as --json) or prometheus (text exposition format).' -rfka 'text json prometheus'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache stats" o output' -l 'output' -s 'o' -d 'Write the output to this file instead of stdout, replacing it in one step (temp file in its directory, then rename).' -rF
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache stats" reset' -l 'reset' -d 'Zero the counters (after printing them).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache stats"' -l 'remote' -d 'A shared level, tried after the local directory and before the origin: URL|attribute|attribute=value (read-only, layout=default|bazel, connect-timeout=, timeout=, header=, bearer-token-file=, bearer-token-env=, key-file=, shards=, no-claims, claim-wait=); repeatable, in order (default: $MEDIACACHE_REMOTE, SPECs separated by spaces).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache stats" no-remote' -l 'no-remote' -d 'Use no remote level, whatever $MEDIACACHE_REMOTE says.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache stats" remote-key' -l 'remote-key' -d 'Sign records with HMAC-SHA256 under the key in this file, and take only records signed with it (default: $MEDIACACHE_REMOTE_KEY).' -rF
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache stats" remote-wait' -l 'remote-wait' -d 'Seconds to wait at the end for uploads still queued; the rest are dropped and counted.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache stats" version' -l 'version' -d 'Show the version.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache stats" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache list" cache-dir' -l 'cache-dir' -d 'Cache directory (default: $MEDIACACHE_DIR, $VLLM_MEDIA_CACHE, $XDG_CACHE_HOME/mediacache, ~/.cache/mediacache).' -rfa '(__mediacache_complete_directories)'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache list" vllm-python' -l 'vllm-python' -d 'The Python version that runs vLLM (3.10 to 3.14): 3.14 names a few files differently; reads look under both names (default: $MEDIACACHE_VLLM_PYTHON or 3.13).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache list" sort' -l 'sort' -d 'Order rows by size (largest first), used (most recent first) or name.' -rfka 'size used name'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache list" reverse' -l 'reverse' -d 'Reverse the order (smallest, least recently used, or last name first).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache list" limit' -l 'limit' -d 'Print at most this many rows (after sorting and filtering).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache list"' -s 'f' -l 'filter' -d 'Only entries where size>SIZE, size<SIZE, used>DURATION (unused for longer) or used<DURATION; repeatable, all must hold.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache list" json' -l 'json' -d 'Print JSON for scripts (the keys are in the command\'s description and docs/cli.md).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache list" q quiet' -l 'quiet' -s 'q' -d 'Print only errors and the data asked for (the command\'s description says which).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache list" version' -l 'version' -d 'Show the version.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache verify" cache-dir' -l 'cache-dir' -d 'Cache directory (default: $MEDIACACHE_DIR, $VLLM_MEDIA_CACHE, $XDG_CACHE_HOME/mediacache, ~/.cache/mediacache).' -rfa '(__mediacache_complete_directories)'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache verify" vllm-python' -l 'vllm-python' -d 'The Python version that runs vLLM (3.10 to 3.14): 3.14 names a few files differently; reads look under both names (default: $MEDIACACHE_VLLM_PYTHON or 3.13).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache verify" fix' -l 'fix' -d 'Remove corrupt, poisoned and hostile entries, and stale or orphaned records; never a valid entry.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache verify" json' -l 'json' -d 'Print JSON for scripts (the keys are in the command\'s description and docs/cli.md).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache verify" q quiet' -l 'quiet' -s 'q' -d 'Print only errors and the data asked for (the command\'s description says which).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache verify" version' -l 'version' -d 'Show the version.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache verify" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache key" cache-dir' -l 'cache-dir' -d 'Cache directory (default: $MEDIACACHE_DIR, $VLLM_MEDIA_CACHE, $XDG_CACHE_HOME/mediacache, ~/.cache/mediacache).' -rfa '(__mediacache_complete_directories)'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache key" vllm-python' -l 'vllm-python' -d 'The Python version that runs vLLM (3.10 to 3.14): 3.14 names a few files differently; reads look under both names (default: $MEDIACACHE_VLLM_PYTHON or 3.13).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache key" path' -l 'path' -d 'Print full paths inside the cache directory instead of names.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache key" version' -l 'version' -d 'Show the version.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache key" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache doctor" cache-dir' -l 'cache-dir' -d 'Cache directory (default: $MEDIACACHE_DIR, $VLLM_MEDIA_CACHE, $XDG_CACHE_HOME/mediacache, ~/.cache/mediacache).' -rfa '(__mediacache_complete_directories)'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache doctor" vllm-python' -l 'vllm-python' -d 'The Python version that runs vLLM (3.10 to 3.14): 3.14 names a few files differently; reads look under both names (default: $MEDIACACHE_VLLM_PYTHON or 3.13).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache doctor" max-size' -l 'max-size' -d 'Size limit: 500K, 500M, 5G, 5GiB, 1T or bytes; powers of 1024 (default: $MEDIACACHE_MAX_SIZE, $VLLM_MEDIA_CACHE_MAX_SIZE_MB or 5120M).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache doctor" ttl' -l 'ttl' -d 'Time to live since last use: 90s, 30m, 24h, 7d, 1h30m (default: $MEDIACACHE_TTL, $VLLM_MEDIA_CACHE_TTL_HOURS or 24h).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache doctor" max-entries' -l 'max-entries' -d 'Keep at most this many entries, least recently used evicted first (default: $MEDIACACHE_MAX_ENTRIES or no limit); vLLM lists the whole directory on every store, see `mediacache doctor`.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache doctor" min-free' -l 'min-free' -d 'Keep this much free on the cache\'s file system: writes and prune also evict least recently used entries until it is (500M, 5G; default: $MEDIACACHE_MIN_FREE or none).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache doctor" fix' -l 'fix' -d 'Repair what is safe: remove poisoned files, planted links, stale temp files and records; make entries readable.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache doctor" no-calibration' -l 'no-calibration' -d 'Skip the timing of a vLLM store (no scratch files, no python3).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache doctor" json' -l 'json' -d 'Print JSON for scripts (the keys are in the command\'s description and docs/cli.md).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache doctor" q quiet' -l 'quiet' -s 'q' -d 'Print only errors and the data asked for (the command\'s description says which).'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache doctor" version' -l 'version' -d 'Show the version.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache doctor" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache dir" cache-dir' -l 'cache-dir' -d 'Cache directory (default: $MEDIACACHE_DIR, $VLLM_MEDIA_CACHE, $XDG_CACHE_HOME/mediacache, ~/.cache/mediacache).' -rfa '(__mediacache_complete_directories)'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache dir" vllm-python' -l 'vllm-python' -d 'The Python version that runs vLLM (3.10 to 3.14): 3.14 names a few files differently; reads look under both names (default: $MEDIACACHE_VLLM_PYTHON or 3.13).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache dir" max-size' -l 'max-size' -d 'Size limit: 500K, 500M, 5G, 5GiB, 1T or bytes; powers of 1024 (default: $MEDIACACHE_MAX_SIZE, $VLLM_MEDIA_CACHE_MAX_SIZE_MB or 5120M).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache dir" ttl' -l 'ttl' -d 'Time to live since last use: 90s, 30m, 24h, 7d, 1h30m (default: $MEDIACACHE_TTL, $VLLM_MEDIA_CACHE_TTL_HOURS or 24h).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache dir" max-entries' -l 'max-entries' -d 'Keep at most this many entries, least recently used evicted first (default: $MEDIACACHE_MAX_ENTRIES or no limit); vLLM lists the whole directory on every store, see `mediacache doctor`.' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache dir" min-free' -l 'min-free' -d 'Keep this much free on the cache\'s file system: writes and prune also evict least recently used entries until it is (500M, 5G; default: $MEDIACACHE_MIN_FREE or none).' -rfka ''
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache dir" v verbose' -l 'verbose' -s 'v' -d 'Also print the size limit and TTL, and which setting chose each.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache dir" version' -l 'version' -d 'Show the version.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache dir" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'mediacache' -n '__mediacache_should_offer_completions_for_flags_or_options "mediacache help" version' -l 'version' -d 'Show the version.'
