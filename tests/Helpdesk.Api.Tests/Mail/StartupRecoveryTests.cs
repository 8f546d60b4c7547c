using System.Globalization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Common;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Mail;

/// <summary>
/// A restarted instance takes over at start-up what a dead process of its host left claimed (a
/// mail half ingested, a mail being sent), instead of waiting minutes for the claims' leases.
/// </summary>
public sealed class StartupRecoveryTests
{
    [Fact]
    public async Task A_mail_a_dead_process_was_ingesting_is_ingested_at_start_up_not_after_its_lease()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.RenewAsync();
        var graphId = mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>"));
        (await mail.Graph.NotifyAsync(MailApp.Mailbox, graphId)).EnsureSuccessStatusCode();
        var now = mail.App.Clock.GetUtcNow();
        await StoreOf<IMailJournal>(mail, ClaimOwnerTests.DeadProcess()).ClaimAsync(now, now.AddMinutes(5), 10, CancellationToken.None);

        await mail.IngestAsync();
        var beforeRestart = await mail.TicketsAsync();
        var released = await RestartAsync(mail);
        await mail.IngestAsync();

        beforeRestart.ShouldBeEmpty("the claim's lease still runs");
        released.ShouldBe(1);
        (await mail.TicketsAsync()).ShouldHaveSingleItem();
        var inbound = await mail.InboundOfAsync(graphId);
        inbound.State.ShouldBe(InboundStates.Done);
        inbound.Attempts.ShouldBe(2, "the dead process's attempt still counts, so a mail that kills its process every time ends as a dead letter");
    }

    [Fact]
    public async Task A_mail_a_dead_process_was_sending_is_sent_at_start_up_not_after_its_lease()
    {
        await using var mail = await MailApp.StartAsync();
        await QueueAsync(mail);
        var now = mail.App.Clock.GetUtcNow();
        await StoreOf<IOutboundMailStore>(mail, ClaimOwnerTests.DeadProcess()).ClaimAsync(now, now.AddMinutes(5), 10, CancellationToken.None);

        await mail.SendQueuedAsync();
        var beforeRestart = mail.Graph.Sent.Count;
        await RestartAsync(mail);
        await mail.SendQueuedAsync();

        beforeRestart.ShouldBe(0);
        mail.Graph.Sent.ShouldHaveSingleItem();
    }

    [Fact]
    public async Task A_mail_claimed_by_a_process_that_still_runs_keeps_its_lease_through_a_start_up()
    {
        await using var mail = await MailApp.StartAsync();
        await QueueAsync(mail);
        var now = mail.App.Clock.GetUtcNow();
        await mail.App.Services.GetRequiredService<IOutboundMailStore>().ClaimAsync(now, now.AddMinutes(5), 10, CancellationToken.None);

        var released = await RestartAsync(mail);
        await mail.SendQueuedAsync();

        released.ShouldBe(0);
        mail.Graph.Sent.ShouldBeEmpty();
    }

    /// <summary>The store the app runs on, as a process with another identity would hold it.</summary>
    private static T StoreOf<T>(MailApp mail, ClaimOwner owner)
        where T : class =>
        (T)ActivatorUtilities.CreateInstance(mail.App.Services, mail.App.Services.GetRequiredService<T>().GetType(), owner);

    /// <summary>What the app does at start-up, run again: the restarted instance's recovery.</summary>
    private static Task<int> RestartAsync(MailApp mail) =>
        mail.App.Services.GetRequiredService<StaleClaimRecovery>().RecoverAsync(CancellationToken.None);

    private static Task QueueAsync(MailApp mail) =>
        mail.App.Services.GetRequiredService<IEmailSender>().SendAsync(
            new EmailMessage(string.Create(CultureInfo.InvariantCulture, $"r-{Guid.NewGuid():N}@helpdesk"), new EmailAddress(MailApp.Mailbox, "Support"), [new EmailAddress("user@contoso.com")], [], "Digest", "Hello", "<p>Hello</p>"),
            CancellationToken.None);
}
