namespace Helpdesk.Api.Common;

/// <summary>
/// A test-only seam for the crash tests (tests/Helpdesk.Api.Tests/MailCrash/CrashTests.cs), which run
/// the app as a child process and kill it with SIGKILL at a chosen step. With the environment
/// variable <c>HELPDESK_CRASH_POINT</c> naming a point, the process that reaches it writes
/// <c>crash-point: {name}</c> on standard output and blocks there for good, so the test kills it
/// exactly between the two writes the point separates. Without the variable (production) a point
/// is one comparison with null and does nothing.
/// </summary>
public static class CrashPoints
{
    public const string Variable = "HELPDESK_CRASH_POINT";

    /// <summary>An inbound mail's ticket write is stored; its journal row and Message-ID record are not settled.</summary>
    public const string TicketWrittenBeforeSettled = "ticket-written-before-settled";

    /// <summary>An event's notifications are planned and stored; none is handed to the outbound queue yet.</summary>
    public const string NotificationPlanned = "notification-planned";

    /// <summary>Graph accepted a draft's send; the queued mail is not marked sent yet.</summary>
    public const string MailSentBeforeRecorded = "mail-sent-before-recorded";

    private static readonly string? Armed = Environment.GetEnvironmentVariable(Variable);

    /// <summary>Blocks this process for good when the crash tests armed <paramref name="point"/>; nothing otherwise.</summary>
    public static void Reach(string point)
    {
        if (Armed is null || !string.Equals(Armed, point, StringComparison.Ordinal))
        {
            return;
        }

        Console.Out.WriteLine("crash-point: " + point);
        Console.Out.Flush();
        Thread.Sleep(Timeout.Infinite);
    }
}
