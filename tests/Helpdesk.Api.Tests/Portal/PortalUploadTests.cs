using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Portal;

public sealed class PortalUploadTests : IDisposable
{
    private static readonly byte[] Pdf = "%PDF-1.7\n%binary\n"u8.ToArray();

    private readonly HelpdeskApp _app = new HelpdeskApp()
        .With("Attachments:MaxFileBytes", "2048")
        .With("Attachments:MaxTicketBytes", "5000");

    public void Dispose() => _app.Dispose();

    private static MultipartFormDataContent Form(byte[] bytes, string fileName, string part = "file")
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return new MultipartFormDataContent { { file, part, fileName } };
    }

    private async Task<(string Id, HttpClient Customer, HttpClient Agent)> TicketForAsync(string email)
    {
        var agent = _app.ClientFor(Roles.Agent, "agent@upload.test");
        var ticket = await agent.OpenTicketAsync(new { subject = "Scanner broken", requester = new { email } });
        return (ticket["id"]!.GetValue<string>(), _app.ClientFor(Roles.Customer, email, ticket["requester"]!["contactId"]!.GetValue<string>()), agent);
    }

    private static async Task<string> MessageAsync(HttpClient client, string url, object body)
    {
        var posted = await client.PostAsJsonAsync(url, body);
        posted.StatusCode.ShouldBe(HttpStatusCode.Created);
        return (await posted.Json())["id"]!.GetValue<string>();
    }

    private static async Task<string[]> NamesAsync(HttpClient client, string url) =>
        [.. (await (await client.GetAsync(url)).Json())["items"]!.AsArray().Select(a => a!["fileName"]!.GetValue<string>())];

    [Fact]
    public async Task A_customer_attaches_files_to_their_ticket_and_reply_and_sees_only_theirs_and_those_of_public_messages()
    {
        var (id, customer, agent) = await TicketForAsync("dana@contoso.com");
        var reply = await MessageAsync(customer, $"/api/portal/tickets/{id}/messages", new { body = "Here is the scan" });
        var publicReply = await MessageAsync(agent, $"/api/tickets/{id}/messages", new { visibility = "public", body = "Try this driver" });
        var note = await MessageAsync(agent, $"/api/tickets/{id}/messages", new { visibility = "internal", body = "Looks like a hardware fault" });
        (await agent.PostAsync($"/api/tickets/{id}/messages/{publicReply}/attachments", Form("driver"u8.ToArray(), "driver.txt"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await agent.PostAsync($"/api/tickets/{id}/messages/{note}/attachments", Form("secret"u8.ToArray(), "diagnosis.txt"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await agent.PostAsync($"/api/tickets/{id}/attachments", Form("staff only"u8.ToArray(), "staff.txt"))).StatusCode.ShouldBe(HttpStatusCode.Created);

        var onTicket = await customer.PostAsync($"/api/portal/tickets/{id}/attachments", Form(Pdf, "../../scan.pdf"));
        var onReply = await customer.PostAsync($"/api/portal/tickets/{id}/messages/{reply}/attachments", Form("log"u8.ToArray(), "log.txt"));

        onTicket.StatusCode.ShouldBe(HttpStatusCode.Created);
        var uploaded = await onTicket.Json();
        uploaded["fileName"]!.GetValue<string>().ShouldBe("scan.pdf");
        uploaded["contentType"]!.GetValue<string>().ShouldBe("application/pdf");
        onTicket.Headers.Location!.ToString().ShouldBe($"/api/portal/tickets/{id}/attachments/{uploaded["id"]}");
        onReply.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await NamesAsync(customer, $"/api/portal/tickets/{id}/attachments")).ShouldBe(["driver.txt", "scan.pdf", "log.txt"]);
        var download = await customer.GetAsync(onTicket.Headers.Location);
        download.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await download.Content.ReadAsByteArrayAsync()).ShouldBe(Pdf);
        var staffFiles = (await (await agent.GetAsync($"/api/tickets/{id}/attachments")).Json())["items"]!.AsArray();
        foreach (var hidden in staffFiles.Where(f => f!["fileName"]!.GetValue<string>() is "diagnosis.txt" or "staff.txt"))
        {
            await (await customer.GetAsync($"/api/portal/tickets/{id}/attachments/{hidden!["id"]}")).ShouldBeProblem(404);
        }

        var thread = await (await customer.GetAsync($"/api/portal/tickets/{id}")).Json();
        thread["messages"]!.AsArray().First(m => m!["id"]!.GetValue<string>() == reply)!["attachments"]!.AsArray().Single()!["fileName"]!.GetValue<string>().ShouldBe("log.txt");
        var history = (await (await agent.GetAsync($"/api/tickets/{id}/history")).Json())["items"]!.AsArray();
        history.Last()!["actor"]!["type"]!.GetValue<string>().ShouldBe("customer");
    }

    [Fact]
    public async Task Customer_uploads_keep_the_size_limits_and_the_single_file_rule()
    {
        var (id, customer, _) = await TicketForAsync("eve@contoso.com");
        var url = $"/api/portal/tickets/{id}/attachments";

        await (await customer.PostAsync(url, Form(new byte[2049], "big.bin"))).ShouldBeProblem(413);
        await (await customer.PostAsync(url, Form(Pdf, "scan.pdf", part: "other"))).ShouldBeProblem(400, "file");
        (await customer.PostAsJsonAsync(url, new { file = "x" })).StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        for (var i = 0; i < 2; i++)
        {
            (await customer.PostAsync(url, Form(new byte[2000].Select(_ => (byte)(i + 1)).ToArray(), $"part{i}.bin"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        }

        await (await customer.PostAsync(url, Form(new byte[2000].Select(_ => (byte)9).ToArray(), "part3.bin"))).ShouldBeProblem(413);
    }

    [Fact]
    public async Task Probing_other_tickets_and_messages_through_portal_uploads_answers_404_every_time()
    {
        var (id, customer, agent) = await TicketForAsync("frank@contoso.com");
        var (otherId, other, _) = await TicketForAsync("grace@contoso.com");
        var agentReply = await MessageAsync(agent, $"/api/tickets/{id}/messages", new { visibility = "public", body = "Hello" });
        var note = await MessageAsync(agent, $"/api/tickets/{id}/messages", new { visibility = "internal", body = "Note" });
        var othersReply = await MessageAsync(other, $"/api/portal/tickets/{otherId}/messages", new { body = "Mine" });

        await (await customer.PostAsync($"/api/portal/tickets/{otherId}/attachments", Form(Pdf, "x.pdf"))).ShouldBeProblem(404);
        await (await customer.PostAsync($"/api/portal/tickets/{otherId}/messages/{othersReply}/attachments", Form(Pdf, "x.pdf"))).ShouldBeProblem(404);
        await (await customer.PostAsync($"/api/portal/tickets/{id}/messages/{agentReply}/attachments", Form(Pdf, "x.pdf"))).ShouldBeProblem(404);
        await (await customer.PostAsync($"/api/portal/tickets/{id}/messages/{note}/attachments", Form(Pdf, "x.pdf"))).ShouldBeProblem(404);
        await (await customer.PostAsync("/api/portal/tickets/t_missing/attachments", Form(Pdf, "x.pdf"))).ShouldBeProblem(404);
        await (await customer.GetAsync($"/api/portal/tickets/{otherId}/attachments")).ShouldBeProblem(404);
        (await _app.CreateClient().PostAsync($"/api/portal/tickets/{id}/attachments", Form(Pdf, "x.pdf"))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await agent.PostAsync($"/api/portal/tickets/{id}/attachments", Form(Pdf, "x.pdf"))).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await NamesAsync(agent, $"/api/tickets/{id}/attachments")).ShouldBeEmpty();
    }
}
