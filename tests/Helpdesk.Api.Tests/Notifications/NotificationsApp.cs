using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Events;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Notifications;
using Helpdesk.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace Helpdesk.Api.Tests.Notifications;

/// <summary>
/// The app with its standalone email sender (the pickup folder) behind a counter that can be
/// told to fail: the mail server outside. Tests read the .eml files the app wrote.
/// </summary>
internal sealed class NotificationsApp : HelpdeskApp
{
    public CountingSender Sender { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services
            .AddSingleton(Sender)
            .AddSingleton<PickupFolderEmailSender>()
            .AddSingleton<IEmailSender>(sp =>
            {
                Sender.Inner = sp.GetRequiredService<PickupFolderEmailSender>();
                return Sender;
            }));
    }

    public async Task<int> PumpAsync()
    {
        await using var scope = Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<EventPump>().RunOnceAsync(CancellationToken.None);
    }

    public async Task RunDigestsAsync()
    {
        await using var scope = Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<SendNotificationDigests>().RunAsync(new Helpdesk.Api.Triggers.TimerInfo(false, null, null), CancellationToken.None);
    }

    /// <summary>The emails in the pickup folder: recipients (To and Cc) and subject of each.</summary>
    public IReadOnlyList<Mail> Mails()
    {
        var folder = Path.Combine(DataFolder, "mail", "pickup");
        if (!System.IO.Directory.Exists(folder))
        {
            return [];
        }

        return System.IO.Directory.GetFiles(folder, "*.eml").Select(file =>
        {
            using var message = MimeMessage.Load(file);
            return new Mail(
                [.. message.To.Mailboxes.Select(m => m.Address)],
                [.. message.Cc.Mailboxes.Select(m => m.Address)],
                message.Subject ?? string.Empty,
                message.Headers["X-Helpdesk-Trigger"]);
        }).ToList();
    }

    public IReadOnlyList<Mail> MailsTo(string address) =>
        Mails().Where(m => m.To.Contains(address, StringComparer.OrdinalIgnoreCase)).ToList();

    public async Task<List<JsonNode>> NotifiedHistoryAsync(string ticketId)
    {
        var history = await (await Admin.GetAsync($"/api/tickets/{ticketId}/history?limit=200")).Json();
        return history["items"]!.AsArray().Where(e => e!["action"]!.GetValue<string>() == "notified").Select(e => e!).ToList();
    }

    public async Task<string> TeamWithLeadAsync(string name, string leadAgentId)
    {
        var created = await Admin.PostAsJsonAsync("/api/teams", new { name, leadAgentId });
        created.EnsureSuccessStatusCode();
        return (await created.Json())["id"]!.GetValue<string>();
    }
}

internal sealed record Mail(IReadOnlyList<string> To, IReadOnlyList<string> Cc, string Subject, string? Trigger);

/// <summary>Counts every hand-over to the real sender and fails the ones a test asks to.</summary>
internal sealed class CountingSender : IEmailSender
{
    private readonly Lock _gate = new();
    private readonly List<string> _sent = [];
    private readonly List<EmailMessage> _messages = [];

    public IEmailSender? Inner { get; set; }

    public Func<EmailMessage, bool> Fails { get; set; } = _ => false;

    public IReadOnlyList<string> Sent
    {
        get
        {
            lock (_gate)
            {
                return [.. _sent];
            }
        }
    }

    /// <summary>The messages handed over, as the app wrote them.</summary>
    public IReadOnlyList<EmailMessage> Messages
    {
        get
        {
            lock (_gate)
            {
                return [.. _messages];
            }
        }
    }

    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken)
    {
        if (Fails(message))
        {
            throw new IOException("The mail server refused the connection.");
        }

        await Inner!.SendAsync(message, cancellationToken);
        lock (_gate)
        {
            _sent.Add(message.MessageId);
            _messages.Add(message);
        }
    }
}
