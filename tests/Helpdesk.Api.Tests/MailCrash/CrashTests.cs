using System.Globalization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Tests.MailCrash;

/// <summary>
/// The app as it runs standalone (its own process, its jobs in process, a data folder), taking
/// mail in from the fake Graph by delta catch-up and answering it, killed with SIGKILL at a chosen
/// step (<see cref="CrashPoints"/>: the process announces the step and blocks there), then started
/// again on the same folder. Each mail must end as it does without the kill: its own ticket (the
/// reply on its original's), one acknowledgement per customer answering the customer's mail, and
/// nothing left pending. SQLite only: the child process runs on the data folder (its own file).
/// Waiting for the child is a bounded wait on its state, the one place a test watches real time.
/// </summary>
public sealed class CrashTests
{
    private const string Mailbox = "support@helpdesk.test";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(45);

    [Theory]
    [InlineData(CrashPoints.TicketWrittenBeforeSettled)]
    [InlineData(CrashPoints.NotificationPlanned)]
    [InlineData(CrashPoints.MailSentBeforeRecorded)]
    public async Task Killed_at_a_step_and_restarted_each_mail_ends_as_without_the_kill(string point)
    {
        await using var graph = await FakeGraphServer.StartAsync();
        var folder = System.IO.Directory.CreateTempSubdirectory("helpdesk-crash-").FullName;
        try
        {
            string[] customers = ["ana@contoso.com", "ben@contoso.com", "cleo@contoso.com"];
            var originals = customers.Select((c, i) => graph.Deliver(Mailbox, new FakeMessage(
                c, string.Create(CultureInfo.InvariantCulture, $"Case {i}"), "<p>Please help.</p>", InternetMessageId: $"<crash-{i}@contoso.com>"))).ToList();
            var reply = graph.Deliver(Mailbox, new FakeMessage(
                customers[0], "RE: Case 0", "<p>Any news?</p>", InternetMessageId: "<crash-0-reply@contoso.com>",
                Headers: new Dictionary<string, string> { ["In-Reply-To"] = "<crash-0@contoso.com>" }));

            using (var killed = CrashableApp.Start(folder, graph.BaseUrl, Mailbox, point))
            {
                await killed.WaitForLineAsync("crash-point: " + point, Bound);
                killed.Kill();
            }

            using (var restarted = CrashableApp.Start(folder, graph.BaseUrl, Mailbox, crashPoint: null))
            {
                await restarted.WaitUntilAsync(() => MailDataFolder.Settled(folder, originals.Count + 1) && customers.All(c => graph.Sent.Any(s => s.To.Contains(c))), Bound);
                restarted.Kill();
            }

            var rows = MailDataFolder.Inbound(folder);
            rows.Values.ShouldAllBe(r => r.State == InboundStates.Done);
            originals.Select(id => rows[id].TicketId).Distinct().Count().ShouldBe(originals.Count);
            rows[reply].TicketId.ShouldBe(rows[originals[0]].TicketId);
            MailDataFolder.PendingOutbound(folder).ShouldBe(0);
            for (var i = 0; i < customers.Length; i++)
            {
                // It answers the latest mail of the customer's conversation when it is composed and
                // names it in its References. Which of the first customer's two mails that is depends
                // on the order they were taken in, as without the kill: the reply may be the one that
                // opened the ticket (its original joining it later), or the original may be.
                var original = string.Create(CultureInfo.InvariantCulture, $"<crash-{i}@contoso.com>");
                string[] conversation = i == 0 ? [original, "<crash-0-reply@contoso.com>"] : [original];
                var acknowledgement = graph.Sent.Where(s => s.To.Contains(customers[i])).ShouldHaveSingleItem();
                acknowledgement.Header("X-Helpdesk-Trigger").ShouldBe("ticket.created");
                var answered = acknowledgement.Header("In-Reply-To").ShouldNotBeNull();
                answered.ShouldBeOneOf(conversation);
                MailThreading.MessageIds([acknowledgement.Header("References")]).ShouldContain(answered);
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            System.IO.Directory.Delete(folder, recursive: true);
        }
    }
}
