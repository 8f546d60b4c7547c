using System.Globalization;
using Helpdesk.Api.Common;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Mail;

/// <summary>
/// What the mail alerts read (docs/telemetry.md): <c>helpdesk.mail.dead_lettered</c> and
/// <c>helpdesk.graph.subscription.seconds_to_expiry</c>, by <c>mailbox</c>.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class MailTelemetryTests
{
    [Fact]
    public async Task Seconds_to_expiry_is_reported_by_mailbox_zero_before_a_subscription_and_negative_after_it_expires()
    {
        var capture = new TelemetryCapture();
        await using var mail = await MailApp.StartAsync(app => capture.On(app));

        var before = (await capture.MetricAsync("helpdesk.graph.subscription.seconds_to_expiry")).ShouldHaveSingleItem();
        await mail.RenewAsync();
        var expiresAt = mail.Graph.Subscriptions.ShouldHaveSingleItem().ExpirationDateTime;
        var liveAt = mail.App.Clock.GetUtcNow();
        var live = (await capture.MetricAsync("helpdesk.graph.subscription.seconds_to_expiry")).ShouldHaveSingleItem();
        mail.App.Clock.Set(expiresAt.AddMinutes(1));
        var expired = (await capture.MetricAsync("helpdesk.graph.subscription.seconds_to_expiry")).ShouldHaveSingleItem();

        TelemetryCapture.Tags(before.Point).ShouldBe(new Dictionary<string, object?> { [TelemetryTags.Mailbox] = MailApp.Mailbox });
        before.Metric.Unit.ShouldBe("s");
        before.Point.GetGaugeLastValueLong().ShouldBe(0);
        live.Point.GetGaugeLastValueLong().ShouldBe((long)Math.Floor((expiresAt - liveAt).TotalSeconds));
        live.Point.GetGaugeLastValueLong().ShouldBeGreaterThan(3600);
        expired.Point.GetGaugeLastValueLong().ShouldBe(-60);
    }

    [Fact]
    public async Task Nothing_is_reported_for_a_mailbox_polled_through_delta()
    {
        var capture = new TelemetryCapture();
        await using var mail = await MailApp.StartAsync(app => capture.On(app), subscribe: false);

        (await capture.MetricAsync("helpdesk.graph.subscription.seconds_to_expiry")).ShouldBeEmpty();
    }

    [Fact]
    public async Task A_mail_dead_lettered_inbound_or_outbound_is_counted_by_mailbox_and_direction()
    {
        var capture = new TelemetryCapture();
        await using var mail = await MailApp.StartAsync(app => capture.On(app.With("Mail:MaxAttempts", "1").With("Mail:Outbound:MaxAttempts", "1")));
        await mail.RenewAsync();
        var poison = mail.Graph.Deliver(MailApp.Mailbox, new FakeMessage("alice@contoso.com", "Poison", "<p>x</p>"));
        mail.Graph.Break($"/messages/{poison}");
        await mail.Graph.NotifyAsync(MailApp.Mailbox, poison);
        await mail.IngestAsync();
        mail.Graph.Break("sendMail");
        await mail.App.Services.GetRequiredService<IEmailSender>().SendAsync(
            new EmailMessage("dead-1@helpdesk", new EmailAddress(MailApp.Mailbox, "Support"), [new EmailAddress("bob@contoso.com")], [], "Digest", "Hello", "<p>Hello</p>"),
            CancellationToken.None);
        await mail.SendQueuedAsync();

        var points = await capture.MetricAsync("helpdesk.mail.dead_lettered");

        points.Select(p => (Tags: string.Join(",", TelemetryCapture.Tags(p.Point).OrderBy(t => t.Key).Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key}={t.Value}"))), Sum: p.Point.GetSumLong()))
            .ShouldBe([($"direction=in,mailbox={MailApp.Mailbox}", 1L), ($"direction=out,mailbox={MailApp.Mailbox}", 1L)], ignoreOrder: true);
        points[0].Metric.Unit.ShouldBe("{mail}");
    }
}
