using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Events;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Outcomes;

/// <summary>The app with surveys on, whose outgoing emails are kept whole for the test to read.</summary>
internal sealed class OutcomeApp : HelpdeskApp
{
    public OutcomeApp() => With("Satisfaction:SendOnResolve", "true");

    public ConcurrentQueue<EmailMessage> Sent { get; } = new();

    public IReadOnlyList<EmailMessage> SentFor(string trigger) =>
        [.. Sent.Where(m => m.Headers is { } h && h.TryGetValue("X-Helpdesk-Trigger", out var t) && t == trigger)];

    public async Task PumpAsync()
    {
        for (var i = 0; i < 3; i++)
        {
            await using var scope = Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<EventPump>().RunOnceAsync(CancellationToken.None);
        }
    }

    public async Task FireRemindersAsync() =>
        (await CreateClient().PostAsync("/FireActivityReminders", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<IEmailSender>(new RecordingSender(Sent)));
    }

    private sealed class RecordingSender(ConcurrentQueue<EmailMessage> sent) : IEmailSender
    {
        public Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
        {
            sent.Enqueue(message);
            return Task.CompletedTask;
        }
    }
}

/// <summary>Reminders, survey links and resolution summaries reach people through the notification pipeline, once each.</summary>
public sealed class OutcomeNotificationTests
{
    [Fact]
    public async Task Resolving_emails_the_requester_the_signed_survey_link_once()
    {
        using var app = new OutcomeApp();
        var (_, ada) = await app.AgentAsync("ada@outcome.test");
        var id = (await ada.OpenTicketAsync(new { subject = "Printer jams", requester = new { email = "alice@contoso.com", name = "Alice" } }))["id"]!.GetValue<string>();

        (await ada.PostAsync($"/api/tickets/{id}/resolve", null)).EnsureSuccessStatusCode();
        await app.PumpAsync();
        await app.PumpAsync();

        var survey = app.SentFor("satisfaction.surveyRequested").ShouldHaveSingleItem();
        survey.To.ShouldHaveSingleItem().Address.ShouldBe("alice@contoso.com");
        survey.Subject.ShouldContain("How did we do?");
        var link = survey.TextBody.Split(' ', '\n', '\r').Single(w => w.StartsWith("/csat/", StringComparison.Ordinal));
        (await app.CreateClient().PostAsJsonAsync("/api" + link, new { score = 5 })).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task A_resolution_record_is_emailed_to_the_contact_only_when_asked()
    {
        using var app = new OutcomeApp();
        var (_, ada) = await app.AgentAsync("ada@outcome.test");
        var quiet = (await ada.OpenTicketAsync(new { subject = "Quiet", requester = new { email = "bob@contoso.com" } }))["id"]!.GetValue<string>();
        var told = (await ada.OpenTicketAsync(new { subject = "Told", requester = new { email = "alice@contoso.com" } }))["id"]!.GetValue<string>();

        (await ada.PutAsJsonAsync($"/api/tickets/{quiet}/resolution", new { details = "Swapped the toner." })).EnsureSuccessStatusCode();
        (await ada.PutAsJsonAsync($"/api/tickets/{told}/resolution", new { details = "Hold reset for ten seconds.", emailContact = true })).EnsureSuccessStatusCode();
        await app.PumpAsync();
        await app.PumpAsync();

        var mail = app.SentFor("ticket.resolutionRecorded").ShouldHaveSingleItem();
        mail.To.ShouldHaveSingleItem().Address.ShouldBe("alice@contoso.com");
        mail.TextBody.ShouldContain("Hold reset for ten seconds.");
        mail.HtmlBody.ShouldContain("Hold reset for ten seconds.");
    }

    [Fact]
    public async Task A_due_email_reminder_reaches_the_owner_once_and_other_channels_send_no_email()
    {
        using var app = new OutcomeApp();
        var (_, ada) = await app.AgentAsync("ada@outcome.test");
        var (ownerId, _) = await app.AgentAsync("owen@outcome.test", Roles.Agent);
        var id = (await ada.OpenTicketAsync())["id"]!.GetValue<string>();
        (await ada.PostAsJsonAsync($"/api/tickets/{id}/activities", new { kind = "call", title = "Call Alice back", ownerId, dueAt = Later(app, 2), reminder = new { at = Later(app, 1), channels = new[] { "email", "popup" } } })).EnsureSuccessStatusCode();
        await (await ada.PostAsJsonAsync($"/api/tickets/{id}/activities", new { kind = "task", title = "Text Alice", ownerId, dueAt = Later(app, 2), reminder = new { at = Later(app, 1), channels = new[] { "sms" } } }))
            .ShouldBeProblem(400, "reminder.channels");

        await app.FireRemindersAsync();
        await app.PumpAsync();
        app.SentFor("activity.reminder").ShouldBeEmpty();
        app.Clock.Advance(TimeSpan.FromMinutes(61));
        await app.FireRemindersAsync();
        await app.FireRemindersAsync();
        await app.PumpAsync();
        await app.PumpAsync();

        var reminder = app.SentFor("activity.reminder").ShouldHaveSingleItem();
        reminder.To.ShouldHaveSingleItem().Address.ShouldBe("owen@outcome.test");
        reminder.TextBody.ShouldContain("Call Alice back");
    }

    private static string Later(HelpdeskApp app, int hours) =>
        app.Clock.GetUtcNow().AddHours(hours).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
