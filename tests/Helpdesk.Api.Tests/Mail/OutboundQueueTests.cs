using System.Globalization;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tests.Cosmos;
using Helpdesk.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Mail;

/// <summary>The outbound queue: durable, paced to Graph's per-mailbox limits, throttling honoured, bursts coalesced.</summary>
public sealed class OutboundQueueTests
{
    [Fact]
    public async Task No_more_than_thirty_messages_leave_a_mailbox_in_any_minute()
    {
        await using var mail = await MailApp.StartAsync();
        await QueueAsync(mail, 35);

        await mail.SendQueuedAsync();
        await mail.SendQueuedAsync();
        var firstMinute = mail.Graph.Sent.Count;
        mail.App.Clock.Advance(TimeSpan.FromSeconds(59));
        await mail.SendQueuedAsync();
        var stillFirstMinute = mail.Graph.Sent.Count;
        mail.App.Clock.Advance(TimeSpan.FromSeconds(1));
        await mail.SendQueuedAsync();

        firstMinute.ShouldBe(30);
        stillFirstMinute.ShouldBe(30);
        mail.Graph.Sent.Count.ShouldBe(35);
        mail.Graph.Sent.Select(s => s.Header("Message-ID")).Distinct().Count().ShouldBe(35);
    }

    [Fact]
    public async Task A_429_puts_the_mailbox_on_hold_for_the_retry_after_graph_asked_for_and_costs_no_attempt()
    {
        await using var mail = await MailApp.StartAsync(app => app.With("Mail:Outbound:ConcurrentSends", "1").With("Mail:Outbound:MaxAttempts", "1"));
        mail.Graph.RetryAfterSeconds = 120;
        mail.Graph.Throttle("/send", 1);
        await QueueAsync(mail, 3);

        await mail.SendQueuedAsync();
        var whileThrottled = mail.Graph.Sent.Count;
        mail.App.Clock.Advance(TimeSpan.FromSeconds(119));
        await mail.SendQueuedAsync();
        var beforeRetryAfter = mail.Graph.Sent.Count;
        mail.App.Clock.Advance(TimeSpan.FromSeconds(1));
        await mail.SendQueuedAsync();

        whileThrottled.ShouldBe(0);
        beforeRetryAfter.ShouldBe(0);
        mail.Graph.Sent.Count.ShouldBe(3);
        mail.Graph.Requests.Count(r => r.EndsWith("/send", StringComparison.Ordinal)).ShouldBe(4);
        mail.Graph.Drafts.ShouldBeEmpty("the throttled draft is sent on the next attempt, not built again");
        (await StatesAsync(mail)).ShouldAllBe(s => s == OutboundMailQueue.Sent);
    }

    [Fact]
    public async Task A_mail_graph_keeps_refusing_backs_off_and_is_dead_lettered_after_the_last_attempt()
    {
        await using var mail = await MailApp.StartAsync(app => app.With("Mail:Outbound:MaxAttempts", "2"));
        mail.Graph.Break("/send");
        await QueueAsync(mail, 1);

        await mail.SendQueuedAsync();
        var afterFirst = await StatesAsync(mail);
        mail.App.Clock.Advance(TimeSpan.FromSeconds(29));
        await mail.SendQueuedAsync();
        var beforeBackoff = mail.Graph.Requests.Count(r => r.EndsWith("/send", StringComparison.Ordinal));
        mail.App.Clock.Advance(TimeSpan.FromSeconds(1));
        await mail.SendQueuedAsync();

        afterFirst.ShouldBe([OutboundMailQueue.Pending]);
        beforeBackoff.ShouldBe(1);
        (await StatesAsync(mail)).ShouldBe([OutboundMailQueue.Dead]);
        mail.Graph.Sent.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_mail_claimed_by_a_process_that_cannot_be_told_dead_is_sent_once_its_lease_runs_out()
    {
        await using var mail = await MailApp.StartAsync();
        await QueueAsync(mail, 1);
        var now = mail.App.Clock.GetUtcNow();
        await mail.App.Services.GetRequiredService<IOutboundMailStore>().ClaimAsync(now, now.AddMinutes(5), 10, CancellationToken.None);

        await mail.SendQueuedAsync();
        var whileLeased = mail.Graph.Sent.Count;
        mail.App.Clock.Advance(TimeSpan.FromMinutes(5));
        await mail.SendQueuedAsync();
        await mail.SendQueuedAsync();

        whileLeased.ShouldBe(0);
        mail.Graph.Sent.Count.ShouldBe(1);
    }

    [Fact]
    public async Task A_send_whose_answer_was_lost_is_not_sent_again_by_the_next_attempt()
    {
        await using var mail = await MailApp.StartAsync();
        mail.Graph.LoseAnswer("/send");
        await QueueAsync(mail, 1);

        await mail.SendQueuedAsync();
        var afterLostAnswer = await StatesAsync(mail);
        mail.App.Clock.Advance(TimeSpan.FromSeconds(30));
        await mail.SendQueuedAsync();

        afterLostAnswer.ShouldBe([OutboundMailQueue.Pending], "the attempt cannot tell whether Graph sent it");
        mail.Graph.Sent.ShouldHaveSingleItem().Header("Message-ID").ShouldBe("<q-0@helpdesk>");
        mail.Graph.Requests.Count(r => r.EndsWith("/send", StringComparison.Ordinal)).ShouldBe(1, "the retry asks Graph about its draft instead of sending");
        (await StatesAsync(mail)).ShouldBe([OutboundMailQueue.Sent]);
    }

    [Fact]
    public async Task A_send_whose_answer_was_lost_before_the_sent_copy_exists_is_not_sent_again()
    {
        await using var mail = await MailApp.StartAsync();
        mail.Graph.LoseAnswer("/send");
        mail.Graph.SentCopyPending = true;
        await QueueAsync(mail, 1);

        await mail.SendQueuedAsync();
        mail.App.Clock.Advance(TimeSpan.FromSeconds(30));
        await mail.SendQueuedAsync();

        mail.Graph.Sent.Count.ShouldBe(1);
        (await StatesAsync(mail)).ShouldBe([OutboundMailQueue.Sent]);
    }

    [Fact]
    public async Task A_draft_creation_graph_fails_is_not_repeated_by_the_http_retries_but_by_the_queue()
    {
        await using var mail = await MailApp.StartAsync(app => app.With("Mail:Outbound:MaxAttempts", "3"));
        mail.Graph.Break("/messages");
        await QueueAsync(mail, 1);

        await mail.SendQueuedAsync();
        var draftsAsked = mail.Graph.Requests.Count(r => r == "POST /users/" + MailApp.Mailbox + "/messages");
        mail.Graph.Repair("/messages");
        mail.App.Clock.Advance(TimeSpan.FromSeconds(30));
        await mail.SendQueuedAsync();

        draftsAsked.ShouldBe(1, "a POST that failed with a 500 may have been done: it is never repeated blindly");
        mail.Graph.Sent.ShouldHaveSingleItem();
        mail.Graph.Drafts.ShouldBeEmpty();
        (await StatesAsync(mail)).ShouldBe([OutboundMailQueue.Sent]);
    }

    [Fact]
    public async Task A_complete_draft_whose_send_never_reached_graph_is_sent_by_the_next_attempt_without_a_second_draft()
    {
        await using var mail = await MailApp.StartAsync(app => app.With("Mail:Outbound:MaxAttempts", "3"));
        mail.Graph.Break("/send");
        await QueueAsync(mail, 1);

        await mail.SendQueuedAsync();
        mail.Graph.Repair("/send");
        mail.App.Clock.Advance(TimeSpan.FromSeconds(30));
        await mail.SendQueuedAsync();

        mail.Graph.Sent.Count.ShouldBe(1);
        mail.Graph.Requests.Count(r => r == "POST /users/" + MailApp.Mailbox + "/messages").ShouldBe(1);
        mail.Graph.Drafts.ShouldBeEmpty();
        (await StatesAsync(mail)).ShouldBe([OutboundMailQueue.Sent]);
    }

    [Fact]
    public async Task A_reply_draft_left_half_built_is_deleted_and_the_reply_built_again_once()
    {
        await using var mail = await MailApp.StartAsync();
        await mail.ReceiveAsync(new Infrastructure.FakeGraph.FakeMessage("alice@contoso.com", "Printer jams", "<p>It jams.</p>"));
        var ticketId = (await mail.TicketsAsync()).Single()!["id"]!.GetValue<string>();
        await mail.DeliverAsync();
        mail.Graph.Break("/attachments");
        var agent = mail.App.ClientFor(Roles.Agent, "lead@helpdesk.test");
        var posted = await agent.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "public", body = "<p>Try this driver.</p>" });
        var messageId = (await posted.Json())["id"]!.GetValue<string>();
        var file = new ByteArrayContent("driver"u8.ToArray());
        file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/plain");
        (await agent.PostAsync($"/api/tickets/{ticketId}/messages/{messageId}/attachments", new MultipartFormDataContent { { file, "file", "driver.txt" } })).EnsureSuccessStatusCode();

        await mail.DeliverAsync();
        var halfBuilt = mail.Graph.Drafts.ToList();
        mail.Graph.Repair("/attachments");
        mail.App.Clock.Advance(TimeSpan.FromSeconds(30));
        await mail.SendQueuedAsync();

        halfBuilt.ShouldHaveSingleItem();
        mail.Graph.Drafts.ShouldBeEmpty();
        var reply = mail.Graph.Sent.Single(s => s.Header("X-Helpdesk-Trigger") == "message.publicReply");
        reply.Kind.ShouldBe("reply");
        reply.AttachmentNames.ShouldBe(["driver.txt"]);
        mail.Graph.Requests.ShouldContain($"DELETE /users/{MailApp.Mailbox}/messages/{halfBuilt[0]}");
    }

    [Fact]
    public async Task A_burst_of_updates_to_the_same_customer_on_one_ticket_leaves_as_one_message_after_the_window()
    {
        await using var mail = await MailApp.StartAsync(app => app.With("Mail:Outbound:CoalesceSeconds", "30"));
        var agent = mail.App.ClientFor(Roles.Agent, "lead@helpdesk.test");
        var ticketId = (await agent.OpenTicketAsync(new { subject = "VPN down", requester = new { email = "alice@contoso.com" } }))["id"]!.GetValue<string>();
        (await agent.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "public", body = "<p>Looking into it.</p>" })).EnsureSuccessStatusCode();
        (await agent.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "public", body = "<p>Fixed: the certificate expired.</p>" })).EnsureSuccessStatusCode();

        await mail.DeliverAsync();
        var withinWindow = mail.Graph.Sent.Count;
        mail.App.Clock.Advance(TimeSpan.FromSeconds(30));
        await mail.SendQueuedAsync();

        withinWindow.ShouldBe(0);
        var sent = mail.Graph.Sent.ShouldHaveSingleItem();
        sent.To.ShouldBe(["alice@contoso.com"]);
        sent.Header("X-Helpdesk-Coalesced").ShouldBe("3");
        sent.Header("Auto-Submitted").ShouldBeNull();
        sent.Text.ShouldContain("Looking into it.");
        sent.Text.ShouldContain("Fixed: the certificate expired.");
        (await StatesAsync(mail)).Order(StringComparer.Ordinal).ShouldBe([OutboundMailQueue.Merged, OutboundMailQueue.Merged, OutboundMailQueue.Sent]);
    }

    [Fact]
    public async Task A_coalesced_burst_shows_the_settings_header_and_footer_once()
    {
        await using var mail = await MailApp.StartAsync(app => app.With("Mail:Outbound:CoalesceSeconds", "30"));
        await Notifications.NotificationRuleTests.UpdateSettingsAsync(mail.App, s =>
        {
            s["header"] = "<b>Contoso Support</b>";
            s["footer"] = "<i>Reply above this line</i>";
        });
        var agent = mail.App.ClientFor(Roles.Agent, "lead@helpdesk.test");
        var ticketId = (await agent.OpenTicketAsync(new { subject = "VPN down", requester = new { email = "alice@contoso.com" } }))["id"]!.GetValue<string>();
        (await agent.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "public", body = "<p>Looking into it.</p>" })).EnsureSuccessStatusCode();
        (await agent.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "public", body = "<p>Fixed: the certificate expired.</p>" })).EnsureSuccessStatusCode();

        await mail.DeliverAsync();
        mail.App.Clock.Advance(TimeSpan.FromSeconds(30));
        await mail.SendQueuedAsync();

        var sent = mail.Graph.Sent.ShouldHaveSingleItem();
        sent.Header("X-Helpdesk-Coalesced").ShouldBe("3");
        Occurrences(sent.Content, "<div class=\"header\"><b>Contoso Support</b></div>").ShouldBe(1);
        Occurrences(sent.Content, "<div class=\"footer\"><i>Reply above this line</i></div>").ShouldBe(1);
        sent.Content.IndexOf("Contoso Support", StringComparison.Ordinal).ShouldBeLessThan(sent.Content.IndexOf("We received your request", StringComparison.Ordinal));
        sent.Content.IndexOf("Reply above this line", StringComparison.Ordinal).ShouldBeGreaterThan(sent.Content.IndexOf("Fixed: the certificate expired.", StringComparison.Ordinal));
        Occurrences(sent.Text, "Contoso Support").ShouldBe(1);
        Occurrences(sent.Text, "Reply above this line").ShouldBe(1);
        sent.Text.ShouldContain("Looking into it.");
        sent.Text.ShouldContain("Fixed: the certificate expired.");
    }

    private static int Occurrences(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>Mails with no ticket, one per recipient: none of them coalesce.</summary>
    private static async Task QueueAsync(MailApp mail, int count)
    {
        var queue = mail.App.Services.GetRequiredService<IEmailSender>();
        for (var i = 0; i < count; i++)
        {
            var to = string.Create(CultureInfo.InvariantCulture, $"user{i}@contoso.com");
            await queue.SendAsync(
                new EmailMessage(string.Create(CultureInfo.InvariantCulture, $"q-{i}@helpdesk"), new EmailAddress(MailApp.Mailbox, "Support"), [new EmailAddress(to)], [], "Digest", "Hello", "<p>Hello</p>"),
                CancellationToken.None);
        }
    }

    /// <summary>The queue's states in the order mail was queued, read from the store the app runs on.</summary>
    private static async Task<List<string>> StatesAsync(MailApp mail)
    {
        if (HelpdeskApp.OnCosmos)
        {
            var container = SharedCosmosServer.Get().Client.GetContainer(mail.App.CosmosDatabase, "mailOutbound");
            using var iterator = container.GetItemQueryIterator<QueuedState>("SELECT c.seq, c.state FROM c");
            var rows = new List<QueuedState>();
            while (iterator.HasMoreResults)
            {
                rows.AddRange(await iterator.ReadNextAsync());
            }

            return [.. rows.OrderBy(r => r.Seq).Select(r => r.State)];
        }

        await using var connection = await mail.App.Services.GetRequiredService<SqliteDatabase>().OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT state FROM mail_outbound ORDER BY seq";
        await using var reader = await command.ExecuteReaderAsync();
        var states = new List<string>();
        while (await reader.ReadAsync())
        {
            states.Add(reader.GetString(0));
        }

        return states;
    }

    private sealed record QueuedState(long Seq, string State);
}
