using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Events;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;
using Microsoft.Extensions.DependencyInjection;

namespace Helpdesk.Api.Tests.Mail;

public sealed class SmtpEmailSenderTests
{
    [Fact]
    public async Task Without_a_mailbox_and_with_an_smtp_host_notifications_reach_the_smtp_server_with_threading_headers_and_the_reply_token()
    {
        await using var smtp = SmtpListener.Start();
        using var app = new HelpdeskApp().With("Mail:Smtp:Host", "127.0.0.1").With("Mail:Smtp:Port", smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var ticket = await app.ClientFor(Roles.Agent, "lead@helpdesk.test").OpenTicketAsync(new { subject = "Printer jams", requester = new { email = "alice@contoso.com" } });

        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<EventPump>().RunOnceAsync(CancellationToken.None);
        }

        var (recipients, data) = smtp.Received.ShouldHaveSingleItem();
        recipients.ShouldBe(["<alice@contoso.com>"]);
        var mime = FakeMime.Parse(data);
        mime.Header("Subject")!.ShouldContain($"[{ticket["number"]!.GetValue<string>()}]");
        mime.Header("Message-ID")!.ShouldStartWith("<ntf-");
        mime.Header("Auto-Submitted").ShouldBe("auto-generated");
        mime.Header("X-Loop").ShouldNotBeNull();
        mime.Parts.Single(p => p.ContentType.StartsWith("text/plain", StringComparison.Ordinal)).Text.ShouldContain("[ref:" + ticket["id"]!.GetValue<string>() + ".");
    }

    [Fact]
    public async Task With_a_user_name_the_sender_logs_in_before_it_sends()
    {
        await using var smtp = SmtpListener.Start();
        using var app = new HelpdeskApp().With("Mail:Smtp:Host", "127.0.0.1").With("Mail:Smtp:Port", smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .With("Mail:Smtp:UserName", "helpdesk").With("Mail:Smtp:Password", "s3cret é");
        await app.ClientFor(Roles.Agent, "lead@helpdesk.test").OpenTicketAsync(new { subject = "Printer jams", requester = new { email = "alice@contoso.com" } });

        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<EventPump>().RunOnceAsync(CancellationToken.None);
        }

        smtp.Logins.ShouldBe([("helpdesk", "s3cret é")]);
        smtp.Received.ShouldHaveSingleItem();
    }

    [Theory]
    [InlineData("login")]
    [InlineData("data")]
    public async Task An_smtp_server_that_refuses_the_login_or_the_mail_fails_the_send_so_the_notification_is_retried(string refused)
    {
        await using var smtp = SmtpListener.Start(refuseLogin: refused == "login", refuseData: refused == "data");
        using var app = new HelpdeskApp().With("Mail:Smtp:Host", "127.0.0.1").With("Mail:Smtp:Port", smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .With("Mail:Smtp:UserName", "helpdesk").With("Mail:Smtp:Password", "s3cret");
        var id = (await app.ClientFor(Roles.Agent, "lead@helpdesk.test").OpenTicketAsync(new { subject = "Printer jams", requester = new { email = "alice@contoso.com" } }))["id"]!.GetValue<string>();

        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<EventPump>().RunOnceAsync(CancellationToken.None);
        }

        var notifications = await (await app.ClientFor(Roles.Agent, "lead@helpdesk.test").GetAsync($"/api/tickets/{id}/notifications")).Json();
        var items = notifications["items"]!.AsArray();
        items.ShouldNotBeEmpty();
        items.ShouldAllBe(n => n!["state"]!.GetValue<string>() == "pending");
        smtp.Received.ShouldBeEmpty();
    }

    /// <summary>
    /// A minimal SMTP server on 127.0.0.1 (any free port): enough of RFC 5321 and RFC 4954 for
    /// MailKit (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT), keeping each login and each message's
    /// recipients and data.
    /// </summary>
    private sealed class SmtpListener : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly ConcurrentQueue<(List<string>, string)> _received = new();
        private readonly ConcurrentQueue<(string, string)> _logins = new();
        private readonly bool _refuseLogin;
        private readonly bool _refuseData;
        private Task _loop = Task.CompletedTask;

        private SmtpListener(bool refuseLogin, bool refuseData) => (_refuseLogin, _refuseData) = (refuseLogin, refuseData);

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public IReadOnlyList<(List<string> Recipients, string Data)> Received => [.. _received];

        public IReadOnlyList<(string UserName, string Password)> Logins => [.. _logins];

        public static SmtpListener Start(bool refuseLogin = false, bool refuseData = false)
        {
            var listener = new SmtpListener(refuseLogin, refuseData);
            listener._listener.Start();
            listener._loop = listener.AcceptAsync();
            return listener;
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    await ServeAsync(client);
                }
            }
            catch (OperationCanceledException)
            {
                // Disposed.
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII);
            await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 localhost ready");
            var recipients = new List<string>();
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await writer.WriteLineAsync("250-localhost");
                        await writer.WriteLineAsync("250 AUTH PLAIN");
                        break;
                    case "HELO":
                        await writer.WriteLineAsync("250 localhost");
                        break;
                    case "AUTH":
                        var initial = line.Split(' ');
                        if (initial.Length < 3)
                        {
                            await writer.WriteLineAsync("334 ");
                        }

                        var plain = initial.Length < 3 ? await reader.ReadLineAsync(_stop.Token) ?? string.Empty : initial[2];
                        var credentials = Encoding.UTF8.GetString(Convert.FromBase64String(plain)).Split('\0');
                        _logins.Enqueue((credentials[1], credentials[2]));
                        await writer.WriteLineAsync(_refuseLogin ? "535 5.7.8 Authentication credentials invalid" : "235 2.7.0 Authentication successful");
                        break;
                    case "RCPT":
                        recipients.Add(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim());
                        await writer.WriteLineAsync("250 OK");
                        break;
                    case "DATA" when _refuseData:
                        await writer.WriteLineAsync("554 Transaction failed");
                        break;
                    case "DATA":
                        await writer.WriteLineAsync("354 End data with <CR><LF>.<CR><LF>");
                        var data = new StringBuilder();
                        while (await reader.ReadLineAsync(_stop.Token) is { } dataLine && dataLine != ".")
                        {
                            data.Append(dataLine.StartsWith("..", StringComparison.Ordinal) ? dataLine[1..] : dataLine).Append("\r\n");
                        }

                        _received.Enqueue(([.. recipients], data.ToString()));
                        recipients.Clear();
                        await writer.WriteLineAsync("250 OK queued");
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 Bye");
                        return;
                    default:
                        await writer.WriteLineAsync("250 OK");
                        break;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop;
            _stop.Dispose();
        }
    }
}
