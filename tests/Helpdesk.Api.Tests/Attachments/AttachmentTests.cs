using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;

namespace Helpdesk.Api.Tests.Attachments;

/// <summary>The attachment routes on the local folder store; <see cref="BlobAttachmentTests"/> runs them again on the blob store.</summary>
public class AttachmentTests : IDisposable
{
    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4];
    private static readonly byte[] Pdf = "%PDF-1.7\n%binary\n"u8.ToArray();

    private readonly HelpdeskApp _app;

    public AttachmentTests()
        : this(new HelpdeskApp())
    {
    }

    protected AttachmentTests(HelpdeskApp app)
    {
        ArgumentNullException.ThrowIfNull(app);
        _app = app.With("Attachments:MaxFileBytes", "2048").With("Attachments:MaxTicketBytes", "5000");
    }

    public void Dispose()
    {
        _app.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>How many distinct contents the attachment store holds (temporary files included for the local store).</summary>
    protected virtual Task<int> StoredCountAsync(HelpdeskApp app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var folder = Path.Combine(app.DataFolder, "attachments");
        return Task.FromResult(System.IO.Directory.Exists(folder) ? System.IO.Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Count() : 0);
    }

    private static MultipartFormDataContent Form(byte[] bytes, string fileName, string contentType = "application/octet-stream", string part = "file")
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return new MultipartFormDataContent { { file, part, fileName } };
    }

    private async Task<(JsonNode Ticket, HttpClient Agent)> TicketAsync(string requester = "alice@contoso.com")
    {
        var agent = _app.ClientFor(Roles.Agent, "agent@att.test");
        return (await agent.OpenTicketAsync(new { subject = "Files", requester = new { email = requester } }), agent);
    }

    [Fact]
    public async Task An_uploaded_file_is_listed_and_downloaded_as_an_attachment_with_its_sniffed_type()
    {
        var (ticket, agent) = await TicketAsync();
        var url = $"/api/tickets/{ticket["id"]}/attachments";

        var upload = await agent.PostAsync(url, Form(Pdf, "Invoice March.pdf", "image/png"));

        upload.StatusCode.ShouldBe(HttpStatusCode.Created);
        var attachment = await upload.Json();
        attachment["contentType"]!.GetValue<string>().ShouldBe("application/pdf");
        attachment["size"]!.GetValue<long>().ShouldBe(Pdf.Length);
        attachment["fileName"]!.GetValue<string>().ShouldBe("Invoice March.pdf");
        upload.Headers.Location!.ToString().ShouldBe($"{url}/{attachment["id"]}");

        var download = await agent.GetAsync(upload.Headers.Location);
        download.StatusCode.ShouldBe(HttpStatusCode.OK);
        download.Content.Headers.ContentType!.MediaType.ShouldBe("application/pdf");
        download.Content.Headers.ContentDisposition!.DispositionType.ShouldBe("attachment");
        download.Content.Headers.ContentDisposition.FileNameStar.ShouldBe("Invoice March.pdf");
        download.Headers.GetValues("X-Content-Type-Options").ShouldBe(["nosniff"]);
        (await download.Content.ReadAsByteArrayAsync()).ShouldBe(Pdf);

        var listed = (await (await agent.GetAsync(url)).Json())["items"]!.AsArray();
        listed.Single()!["id"]!.GetValue<string>().ShouldBe(attachment["id"]!.GetValue<string>());
        var history = (await (await agent.GetAsync($"/api/tickets/{ticket["id"]}/history")).Json())["items"]!.AsArray();
        history.Last()!["action"]!.GetValue<string>().ShouldBe("attachmentAdded");
    }

    [Theory]
    [InlineData("../../etc/passwd", "passwd")]
    [InlineData("..\\..\\windows\\system32\\evil.exe", "evil.exe")]
    [InlineData("report<1>:?.txt", "report1.txt")]
    [InlineData("..", "attachment")]
    [InlineData("CON.txt", "_CON.txt")]
    public async Task Traversal_looking_names_are_reduced_to_a_plain_file_name(string name, string stored)
    {
        var (ticket, agent) = await TicketAsync();

        var upload = await agent.PostAsync($"/api/tickets/{ticket["id"]}/attachments", Form("hello"u8.ToArray(), name));

        upload.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await upload.Json())["fileName"]!.GetValue<string>().ShouldBe(stored);
    }

    [Theory]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0 }, "photo.pdf", "image/png")]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0 }, "x.bin", "image/jpeg")]
    [InlineData(new byte[] { 0x50, 0x4B, 0x03, 0x04, 0 }, "Offer.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")]
    [InlineData(new byte[] { 0x4D, 0x5A, 0x90, 0 }, "notes.txt", "application/x-msdownload")]
    [InlineData(new byte[] { 0x3C, 0x68, 0x74, 0x6D, 0x6C, 0x3E }, "page.html", "text/plain; charset=utf-8")]
    [InlineData(new byte[] { 0x00, 0x01, 0xFE }, "data.png", "application/octet-stream")]
    public async Task The_content_type_comes_from_the_bytes_not_from_the_client(byte[] bytes, string name, string expected)
    {
        var (ticket, agent) = await TicketAsync();

        var upload = await agent.PostAsync($"/api/tickets/{ticket["id"]}/attachments", Form(bytes, name, "image/gif"));

        (await upload.Json())["contentType"]!.GetValue<string>().ShouldBe(expected);
    }

    [Fact]
    public async Task A_file_over_the_limit_is_413_and_nothing_is_kept()
    {
        var (ticket, agent) = await TicketAsync();

        var upload = await agent.PostAsync($"/api/tickets/{ticket["id"]}/attachments", Form(new byte[2049], "big.bin"));

        await upload.ShouldBeProblem(413);
        (await (await agent.GetAsync($"/api/tickets/{ticket["id"]}/attachments")).Json())["items"]!.AsArray().ShouldBeEmpty();
        (await StoredCountAsync(_app)).ShouldBe(0);
    }

    [Fact]
    public async Task A_ticket_over_its_total_limit_is_413()
    {
        var (ticket, agent) = await TicketAsync();
        var url = $"/api/tickets/{ticket["id"]}/attachments";

        for (var i = 0; i < 2; i++)
        {
            var bytes = new byte[2000];
            bytes[0] = (byte)(i + 1);
            (await agent.PostAsync(url, Form(bytes, $"part{i}.bin"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        }

        var third = new byte[1500];
        third[0] = 9;
        await (await agent.PostAsync(url, Form(third, "part2.bin"))).ShouldBeProblem(413);
    }

    [Fact]
    public async Task The_same_bytes_are_stored_once_and_deleted_with_the_last_reference()
    {
        var (first, agent) = await TicketAsync();
        var (second, _) = await TicketAsync("bob@contoso.com");
        var a = await (await agent.PostAsync($"/api/tickets/{first["id"]}/attachments", Form(Png, "a.png"))).Json();
        var b = await (await agent.PostAsync($"/api/tickets/{second["id"]}/attachments", Form(Png, "b.png"))).Json();
        (await StoredCountAsync(_app)).ShouldBe(1);

        (await agent.DeleteAsync($"/api/tickets/{first["id"]}/attachments/{a["id"]}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await StoredCountAsync(_app)).ShouldBe(1);
        (await agent.GetAsync($"/api/tickets/{second["id"]}/attachments/{b["id"]}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await agent.DeleteAsync($"/api/tickets/{second["id"]}/attachments/{b["id"]}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await StoredCountAsync(_app)).ShouldBe(0);
        await (await agent.GetAsync($"/api/tickets/{first["id"]}/attachments/{a["id"]}")).ShouldBeProblem(404);
    }

    [Fact]
    public async Task A_file_on_a_message_is_listed_with_the_message()
    {
        var (ticket, agent) = await TicketAsync();
        var message = await (await agent.PostAsJsonAsync($"/api/tickets/{ticket["id"]}/messages", new { visibility = "public", body = "See attached" })).Json();

        var upload = await agent.PostAsync($"/api/tickets/{ticket["id"]}/messages/{message["id"]}/attachments", Form(Png, "screen.png"));

        upload.StatusCode.ShouldBe(HttpStatusCode.Created);
        var listed = (await (await agent.GetAsync($"/api/tickets/{ticket["id"]}/messages")).Json())["items"]!.AsArray().Single()!;
        listed["attachments"]!.AsArray().Single()!["fileName"]!.GetValue<string>().ShouldBe("screen.png");
    }

    [Fact]
    public async Task Customers_download_only_files_of_public_messages_of_their_own_tickets()
    {
        var (ticket, agent) = await TicketAsync("carol@contoso.com");
        var (other, _) = await TicketAsync("dave@contoso.com");
        var id = ticket["id"]!.GetValue<string>();
        var publicMessage = await (await agent.PostAsJsonAsync($"/api/tickets/{id}/messages", new { visibility = "public", body = "Here" })).Json();
        var note = await (await agent.PostAsJsonAsync($"/api/tickets/{id}/messages", new { visibility = "internal", body = "Secret" })).Json();
        var onPublic = await (await agent.PostAsync($"/api/tickets/{id}/messages/{publicMessage["id"]}/attachments", Form(Png, "public.png"))).Json();
        var onNote = await (await agent.PostAsync($"/api/tickets/{id}/messages/{note["id"]}/attachments", Form(Pdf, "secret.pdf"))).Json();
        var onTicket = await (await agent.PostAsync($"/api/tickets/{id}/attachments", Form("internal"u8.ToArray(), "ticket.txt"))).Json();
        var elsewhere = await (await agent.PostAsync($"/api/tickets/{other["id"]}/attachments", Form("x"u8.ToArray(), "other.txt"))).Json();
        var customer = _app.ClientFor(Roles.Customer, "carol@contoso.com", ticket["requester"]!["contactId"]!.GetValue<string>());

        (await customer.GetAsync($"/api/portal/tickets/{id}/attachments/{onPublic["id"]}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await customer.GetAsync($"/api/portal/tickets/{id}/attachments/{onNote["id"]}")).ShouldBeProblem(404);
        await (await customer.GetAsync($"/api/portal/tickets/{id}/attachments/{onTicket["id"]}")).ShouldBeProblem(404);
        await (await customer.GetAsync($"/api/portal/tickets/{other["id"]}/attachments/{elsewhere["id"]}")).ShouldBeProblem(404);
        await (await customer.GetAsync($"/api/portal/tickets/{id}/attachments/{elsewhere["id"]}")).ShouldBeProblem(404);
        (await customer.GetAsync($"/api/tickets/{id}/attachments/{onPublic["id"]}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        var thread = await (await customer.GetAsync($"/api/portal/tickets/{id}")).Content.ReadAsStringAsync();
        thread.ShouldContain("public.png");
        thread.ShouldNotContain("secret.pdf");
    }

    [Fact]
    public async Task Bad_uploads_are_400_and_missing_targets_404()
    {
        var (ticket, agent) = await TicketAsync();
        var url = $"/api/tickets/{ticket["id"]}/attachments";

        (await agent.PostAsJsonAsync(url, new { file = "x" })).StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        await (await agent.PostAsync(url, Form(Png, "a.png", part: "upload"))).ShouldBeProblem(400, "file");
        await (await agent.PostAsync("/api/tickets/t_missing/attachments", Form(Png, "a.png"))).ShouldBeProblem(404);
        await (await agent.PostAsync($"/api/tickets/{ticket["id"]}/messages/msg_missing/attachments", Form(Png, "a.png"))).ShouldBeProblem(404);
        await (await agent.DeleteAsync($"{url}/att_missing")).ShouldBeProblem(404);
        (await _app.CreateClient().PostAsync(url, Form(Png, "a.png"))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_closed_ticket_takes_no_new_files()
    {
        var (ticket, agent) = await TicketAsync();
        (await agent.PostAsJsonAsync($"/api/tickets/{ticket["id"]}/close", new { })).EnsureSuccessStatusCode();

        await (await agent.PostAsync($"/api/tickets/{ticket["id"]}/attachments", Form(Png, "late.png"))).ShouldBeProblem(409);
    }
}
