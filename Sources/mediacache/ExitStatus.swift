import ArgumentParser
import MediaCache

#if canImport(Glibc)
    import Glibc
#endif

/// The documented exit codes (BSD sysexits where one fits).
enum ExitStatus {
    static let miss: Int32 = 1
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let noInput: Int32 = 66
    static let unavailable: Int32 = 69
    static let software: Int32 = 70
    static let cantCreate: Int32 = 73
    static let ioError: Int32 = 74
    static let noPermission: Int32 = 77

    /// Every exit code, for `--help` and (through it) the man page; docs/cli.md has the same table.
    static let helpText = """
        EXIT STATUS
          0   success (get: a hit; fetch: every URL is cached; verify: no problems)
          1   get: a miss; fetch: some URL failed; verify: problems found;
              evict --all: the question was not answered yes
          64  bad usage: unknown flag, bad URL, size or duration; get: binary
              bytes to a terminal
          65  put: the input is empty or an HTML page under a media URL
          66  an input file does not exist or cannot be read; stats, list, get
              and verify: no cache at the directory
          69  the origin failed: HTTP error, no connection, timeout, body too big
          70  internal error (a bug: please report it)
          73  the cache directory cannot be created or is not a directory
          74  I/O error, such as no space left on device
          77  permission denied, or a read-only file system
          129 hangup (SIGHUP); 130 interrupted (Ctrl-C); 143 terminated
              (SIGTERM): half-written temp files are removed first
          141 the reader of stdout went away (SIGPIPE), e.g. get URL | head -c 10
        """

    /// The exit code for a library error: a function of the case (and, for
    /// a failed system call, of its `errno`), never of the message text.
    static func code(for error: MediaCacheError) -> Int32 {
        if error.isUnwritable { return noPermission }
        switch error {
        case .invalidURL, .unsupportedScheme, .invalidSetting: return usage
        case .notADirectory, .cannotCreateDirectory: return cantCreate
        case .inputUnreadable: return noInput
        // A remembered 404 ends as the 404 did.
        case .httpStatus, .bodyTooLarge, .transfer, .hostNotAllowed, .redirect, .rememberedFailure: return unavailable
        case .io: return ioError
        case .shutDown: return software
        }
    }
}

/// A usage error found in `run()`, printed as the parser prints its own
/// (`Error: ...`, then the command's usage), ending with exit 64.
///
/// Checks that need every argument go in `run()`, not `validate()`: the parser
/// calls `validate()` before it reports an unknown option, so `fetch --bogus`
/// said "give URLs" instead of naming `--bogus`.
func usageError(_ message: String, _ command: any ParsableCommand.Type) -> ExitCode {
    let name = command.configuration.commandName ?? ""
    StandardError.write("Error: \(message)\nUsage: \(MediaCacheCommand.usageString(for: command))\n")
    StandardError.write("  See 'mediacache \(name) --help' for more information.\n")
    return ExitCode(ExitStatus.usage)
}

/// Prints one line on stderr: `mediacache: message`.
func warn(_ message: String) {
    if Interruption.isInterrupted { return }
    StandardError.write("mediacache: \(message)\n")
}

/// Prints the error as one line and ends the command with its exit code.
func fail(_ error: any Error) -> ExitCode {
    if let error = error as? MediaCacheError {
        warn(error.description)
        return ExitCode(ExitStatus.code(for: error))
    }
    if let exit = error as? ExitCode { return exit }
    warn("\(error)")
    return ExitCode(ExitStatus.software)
}

/// Runs `body`, turning any library error into one stderr line and an exit code.
func reporting<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        throw fail(error)
    }
}
