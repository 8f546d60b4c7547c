using Microsoft.Extensions.Logging;

namespace Helpdesk.Api.Tests.Infrastructure;

/// <summary>
/// Appends every error the app under test logs (an unhandled exception behind a 500 among them)
/// to the file named by <c>HELPDESK_TEST_ERROR_LOG</c>, with its stack trace. A test only sees
/// the 500's problem body; scripts/test.sh prints this file when a run fails, so an intermittent
/// server error can be diagnosed from a CI log.
/// </summary>
internal sealed class ServerErrorLog(string path) : ILoggerProvider
{
    private static readonly Lock Gate = new();

    public static string? Path { get; } = Environment.GetEnvironmentVariable("HELPDESK_TEST_ERROR_LOG") is { Length: > 0 } path ? path : null;

    public ILogger CreateLogger(string categoryName) => new Logger(path, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(string path, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var entry = $"--- {DateTimeOffset.UtcNow:O} {logLevel} {category}{Environment.NewLine}{formatter(state, exception)}{Environment.NewLine}{exception}{Environment.NewLine}";
            lock (Gate)
            {
                File.AppendAllText(path, entry);
            }
        }
    }
}
