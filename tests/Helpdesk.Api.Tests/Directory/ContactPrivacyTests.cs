using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Infrastructure;
using Helpdesk.Api.Tests.Infrastructure.FakeGraph;
using Helpdesk.Api.Tests.Mail;

namespace Helpdesk.Api.Tests.Directory;

/// <summary>
/// GDPR for a contact: the export archive and the erasure, seen through the API. One helpdesk
/// (with a fake Graph, so the contact's mail reaches the journal) serves the class; each test
/// writes to the helpdesk as its own contact.
/// </summary>
public sealed class ContactPrivacyTests(SharedMailApp shared) : IClassFixture<SharedMailApp>
{
    private MailApp Mail => shared.Mail;

    private HelpdeskApp App => shared.Mail.App;

    [Fact]
    public async Task The_export_holds_the_contact_their_tickets_their_mail_and_the_files_they_sent_and_internal_notes_only_when_asked()
    {
        var log = "vpn handshake failed at 09:14"u8.ToArray();
        var (ticketId, contactId) = await MailFromAsync("petra.export@contoso.com", "Petra Export", "VPN drops every hour", new FakeAttachment("vpn.log", "text/plain", log));
        var ada = App.ClientFor(Roles.Agent, "lead@helpdesk.test");
        (await ada.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "public", body = "Which client version?" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await ada.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "internal", body = "Same issue as the branch office" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await ada.PostAsync($"/api/tickets/{ticketId}/attachments", File("agent-notes.txt", "not theirs"u8.ToArray()))).StatusCode.ShouldBe(HttpStatusCode.Created);

        var response = await App.Admin.GetAsync($"/api/contacts/{contactId}/export");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/zip");
        var archive = await ArchiveAsync(response);
        var contact = archive.Json("contact.json");
        contact["contact"]!["email"]!.GetValue<string>().ShouldBe("petra.export@contoso.com");
        contact["contact"]!["name"]!.GetValue<string>().ShouldBe("Petra Export");
        contact["internalNotesIncluded"]!.GetValue<bool>().ShouldBeFalse();
        var ticket = archive.Json("tickets.json").AsArray().ShouldHaveSingleItem()!;
        ticket["id"]!.GetValue<string>().ShouldBe(ticketId);
        var messages = ticket["messages"]!.AsArray();
        messages.Select(m => m!["text"]!.GetValue<string>()).ShouldContain(t => t.Contains("Which client version?"));
        messages.ShouldNotContain(m => m!["visibility"]!.GetValue<string>() == "internal");
        messages.Count(m => m!["writtenByContact"]!.GetValue<bool>()).ShouldBe(1);
        var files = ticket["files"]!.AsArray();
        var sent = files.Single(f => f!["sentByContact"]!.GetValue<bool>())!;
        sent["fileName"]!.GetValue<string>().ShouldBe("vpn.log");
        files.ShouldNotContain(f => f!["fileName"]!.GetValue<string>() == "agent-notes.txt", "an agent's file on no public message is the team's");
        archive.Bytes(sent["path"]!.GetValue<string>()).ShouldBe(log);
        archive.Names.Where(n => n.StartsWith("files/", StringComparison.Ordinal)).ShouldHaveSingleItem();
        var mail = archive.Json("mail.json").AsArray().ShouldHaveSingleItem()!;
        mail["subject"]!.GetValue<string>().ShouldBe("VPN drops every hour");
        mail["ticketId"]!.GetValue<string>().ShouldBe(ticketId);

        var withNotes = await ArchiveAsync(await App.Admin.GetAsync($"/api/contacts/{contactId}/export?includeInternal=true"));

        withNotes.Json("contact.json")["internalNotesIncluded"]!.GetValue<bool>().ShouldBeTrue();
        withNotes.Json("tickets.json")[0]!["messages"]!.AsArray().ShouldContain(m => m!["text"]!.GetValue<string>().Contains("Same issue as the branch office"));
    }

    [Fact]
    public async Task Erasing_a_contact_pseudonymises_them_on_their_tickets_messages_files_mail_and_directory_entry_and_erasing_again_changes_nothing()
    {
        var bytes = "payslip of Erin"u8.ToArray();
        var (ticketId, contactId) = await MailFromAsync("erin.erase@contoso.com", "Erin Erase", "Quokkaxylophone payslip question", new FakeAttachment("payslip.pdf", "application/pdf", bytes));
        var ada = App.ClientFor(Roles.Agent, "lead@helpdesk.test");
        (await ada.PostAsJsonAsync($"/api/tickets/{ticketId}/messages", new { visibility = "public", body = "We are on it.", cc = new[] { "erin.erase@contoso.com", "boss@contoso.com" } })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var fileId = (await (await ada.GetAsync($"/api/tickets/{ticketId}/attachments")).Json())["items"]!.AsArray().Single()!["id"]!.GetValue<string>();
        var storedFiles = StoredFileCount();

        var erased = await EraseAsync(contactId);

        erased.StatusCode.ShouldBe(HttpStatusCode.OK);
        var report = await erased.Json();
        var pseudonym = report["pseudonym"]!.GetValue<string>();
        pseudonym.ShouldStartWith("erased-");
        (report["tickets"]!.GetValue<int>(), report["messages"]!.GetValue<int>(), report["attachments"]!.GetValue<int>(), report["mails"]!.GetValue<int>()).ShouldBe((1, 2, 1, 1));
        var contact = await (await App.Admin.GetAsync($"/api/contacts/{contactId}")).Json();
        contact["name"]!.GetValue<string>().ShouldBe(pseudonym);
        contact["email"]!.GetValue<string>().ShouldBe($"{pseudonym}@erased.invalid");
        contact["active"]!.GetValue<bool>().ShouldBeFalse();
        (await (await ada.GetAsync("/api/contacts?q=erin")).Json())["items"]!.AsArray().ShouldBeEmpty();
        (await (await ada.GetAsync("/api/contacts?q=erin.erase@contoso.com")).Json())["items"]!.AsArray().ShouldBeEmpty();

        var ticket = await (await ada.GetAsync($"/api/tickets/{ticketId}")).Json();
        ticket["requester"]!["email"]!.GetValue<string>().ShouldBe($"{pseudonym}@erased.invalid");
        ticket["requester"]!["name"]!.GetValue<string>().ShouldBe(pseudonym);
        var messages = await Mail.MessagesAsync(ticketId);
        messages.Select(m => m!.ToJsonString()).ShouldAllBe(m => !m.Contains("erin", StringComparison.OrdinalIgnoreCase));
        messages.ShouldContain(m => m!["text"]!.GetValue<string>() == "[erased]");
        messages.ShouldContain(m => m!["text"]!.GetValue<string>().Contains("We are on it."), "what the team wrote stays");
        (await (await ada.GetAsync($"/api/tickets?view=all&q=Quokkaxylophone")).Json())["items"]!.AsArray().ShouldHaveSingleItem("the subject is the ticket's, kept for its audit");
        var file = await (await ada.GetAsync($"/api/tickets/{ticketId}/attachments/{fileId}")).Content.ReadAsByteArrayAsync();
        file.ShouldNotBe(bytes);
        StoredFileCount().ShouldBe(storedFiles - 1);
        var history = (await (await ada.GetAsync($"/api/tickets/{ticketId}/history?limit=200")).Json())["items"]!.AsArray();
        history[^1]!["action"]!.GetValue<string>().ShouldBe("personalDataErased");
        (await App.StoredEventsAsync(ticketId)).ShouldContain(e => e["type"]!.GetValue<string>() == "ticket.personalDataErased");
        var inbound = (await Mail.InboundAsync("done")).Single(m => m.TicketId == ticketId);
        inbound.From.ShouldBe($"{pseudonym}@erased.invalid");
        inbound.Subject.ShouldBeNull();

        var export = await ArchiveAsync(await App.Admin.GetAsync($"/api/contacts/{contactId}/export?includeInternal=true"));
        foreach (var name in export.Names)
        {
            export.Text(name).ShouldNotContain("erin", Case.Insensitive, $"{name} still names the erased contact");
        }

        export.Names.ShouldNotContain(n => n.StartsWith("files/", StringComparison.Ordinal));
        var erasedMail = export.Json("mail.json").AsArray().ShouldHaveSingleItem("the journal row is found by the pseudonym it now carries")!;
        erasedMail["from"]!.GetValue<string>().ShouldBe($"{pseudonym}@erased.invalid");
        erasedMail["subject"].ShouldBeNull();

        var again = await EraseAsync(contactId);

        again.StatusCode.ShouldBe(HttpStatusCode.OK);
        var second = await again.Json();
        (second["tickets"]!.GetValue<int>(), second["messages"]!.GetValue<int>(), second["attachments"]!.GetValue<int>(), second["mails"]!.GetValue<int>()).ShouldBe((0, 0, 0, 0));
        (await (await ada.GetAsync($"/api/tickets/{ticketId}/history?limit=200")).Json())["items"]!.AsArray().Count.ShouldBe(history.Count);
    }

    [Fact]
    public async Task Export_and_erasure_are_the_admins_and_answer_404_for_an_unknown_contact_and_erasure_needs_the_current_etag()
    {
        var (_, contactId) = await MailFromAsync("rita.roles@contoso.com", "Rita Roles", "Roles check");
        var agent = App.ClientFor(Roles.Agent, "lead@helpdesk.test");
        var supervisor = App.ClientFor(Roles.Supervisor, "sam@helpdesk.test");
        var customer = App.ClientFor(Roles.Customer, "rita.roles@contoso.com", contactId);
        foreach (var client in new[] { agent, supervisor, customer })
        {
            (await client.GetAsync($"/api/contacts/{contactId}/export")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
            (await client.PostAsync($"/api/contacts/{contactId}/erase", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        }

        (await App.CreateClient().GetAsync($"/api/contacts/{contactId}/export")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        await (await App.Admin.GetAsync("/api/contacts/con_missing/export")).ShouldBeProblem(404);
        await (await App.Admin.PostAsync("/api/contacts/con_missing/erase", null)).ShouldBeProblem(404);
        await (await App.Admin.PostAsync($"/api/contacts/{contactId}/erase", null)).ShouldBeProblem(428);
        var stale = new HttpRequestMessage(HttpMethod.Post, $"/api/contacts/{contactId}/erase");
        stale.Headers.TryAddWithoutValidation("If-Match", "\"42\"");
        await (await App.Admin.SendAsync(stale)).ShouldBeProblem(412);
        (await (await App.Admin.GetAsync($"/api/contacts/{contactId}")).Json())["name"]!.GetValue<string>().ShouldBe("Rita Roles");
    }

    [Fact]
    public async Task Export_and_erasure_reach_the_tickets_a_contact_was_only_copied_on_and_their_soft_deleted_tickets()
    {
        var (requested, contactId) = await MailFromAsync("carla.copied@contoso.com", "Carla Copied", "Toner question of the copied contact");
        var ada = App.ClientFor(Roles.Agent, "lead@helpdesk.test");
        var supervisor = App.ClientFor(Roles.Supervisor, "sam@helpdesk.test");
        var copied = (await ada.OpenTicketAsync(new { subject = "Laptop of another person", description = "Dorothea's own words", requester = new { email = "dorothea.other@contoso.com", name = "Dorothea Other" } }))["id"]!.GetValue<string>();
        (await ada.PostAsJsonAsync($"/api/tickets/{copied}/messages", new { visibility = "public", body = "Copying your manager.", cc = new[] { "Carla.Copied@contoso.com" } })).StatusCode.ShouldBe(HttpStatusCode.Created);
        var deleted = (await ada.OpenTicketAsync(new { subject = "Later question, deleted", description = "Private details", contactId }))["id"]!.GetValue<string>();
        (await supervisor.DeleteAsync($"/api/tickets/{deleted}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        var export = await ArchiveAsync(await App.Admin.GetAsync($"/api/contacts/{contactId}/export"));

        var tickets = export.Json("tickets.json").AsArray();
        tickets.Select(t => t!["id"]!.GetValue<string>()).ShouldBe([requested, deleted, copied], ignoreOrder: true);
        var onlyCopied = tickets.Single(t => t!["id"]!.GetValue<string>() == copied)!;
        onlyCopied["relation"]!.GetValue<string>().ShouldBe("copied");
        onlyCopied["messages"]!.AsArray().ShouldContain(m => m!["text"]!.GetValue<string>().Contains("Copying your manager."));
        export.Text("tickets.json").ShouldNotContain("Dorothea", Case.Insensitive, "the requester of a ticket they were copied on is another person");
        var softDeleted = tickets.Single(t => t!["id"]!.GetValue<string>() == deleted)!;
        (softDeleted["relation"]!.GetValue<string>(), softDeleted["deleted"]!.GetValue<bool>()).ShouldBe(("requester", true));

        var erased = await EraseAsync(contactId);

        erased.StatusCode.ShouldBe(HttpStatusCode.OK);
        var report = await erased.Json();
        report["tickets"]!.GetValue<int>().ShouldBe(3);
        var pseudonym = report["pseudonym"]!.GetValue<string>();
        var messages = await Mail.MessagesAsync(copied);
        messages.Select(m => m!.ToJsonString()).ShouldAllBe(m => !m.Contains("carla", StringComparison.OrdinalIgnoreCase));
        messages.ShouldContain(m => m!["cc"]!.AsArray().Any(a => a!.GetValue<string>() == $"{pseudonym}@erased.invalid"));
        var other = await (await ada.GetAsync($"/api/tickets/{copied}")).Json();
        other["requester"]!["email"]!.GetValue<string>().ShouldBe("dorothea.other@contoso.com", "the ticket's own requester stays");
        (await (await ada.GetAsync($"/api/tickets/{copied}/history?limit=200")).Json())["items"]!.AsArray()[^1]!["action"]!.GetValue<string>().ShouldBe("personalDataErased");
        var restored = await supervisor.PostAsync($"/api/tickets/{deleted}/restore", null);
        restored.StatusCode.ShouldBe(HttpStatusCode.OK);
        var restoredTicket = await restored.Json();
        restoredTicket["requester"]!["email"]!.GetValue<string>().ShouldBe($"{pseudonym}@erased.invalid");
        restoredTicket["description"]!.GetValue<string>().ShouldBe("[erased]");
        var after = await ArchiveAsync(await App.Admin.GetAsync($"/api/contacts/{contactId}/export?includeInternal=true"));
        foreach (var name in after.Names)
        {
            after.Text(name).ShouldNotContain("carla", Case.Insensitive, $"{name} still names the erased contact");
        }
    }

    /// <summary>The contact writes in by mail, which opens a ticket (and the contact): the ticket's and the contact's ids.</summary>
    private async Task<(string TicketId, string ContactId)> MailFromAsync(string from, string name, string subject, params FakeAttachment[] files)
    {
        await Mail.ReceiveAsync(new FakeMessage(from, subject, $"<p>Hello, {name} here about {subject}.</p>", FromName: name, Attachments: files));
        var ticket = (await Mail.TicketsAsync()).Single(t => t!["subject"]!.GetValue<string>() == subject)!;
        return (ticket["id"]!.GetValue<string>(), ticket["requester"]!["contactId"]!.GetValue<string>());
    }

    private async Task<HttpResponseMessage> EraseAsync(string contactId)
    {
        var read = await App.Admin.GetAsync($"/api/contacts/{contactId}");
        var erase = new HttpRequestMessage(HttpMethod.Post, $"/api/contacts/{contactId}/erase");
        erase.Headers.IfMatch.Add(read.Headers.ETag!);
        return await App.Admin.SendAsync(erase);
    }

    private int StoredFileCount() =>
        System.IO.Directory.Exists(Path.Combine(App.DataFolder, "attachments"))
            ? System.IO.Directory.GetFiles(Path.Combine(App.DataFolder, "attachments"), "*", SearchOption.AllDirectories).Length
            : 0;

    private static MultipartFormDataContent File(string name, byte[] bytes)
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return new MultipartFormDataContent { { file, "file", name } };
    }

    private static async Task<Archive> ArchiveAsync(HttpResponseMessage response)
    {
        response.EnsureSuccessStatusCode();
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()), ZipArchiveMode.Read);
        foreach (var entry in zip.Entries)
        {
            using var content = entry.Open();
            using var copy = new MemoryStream();
            await content.CopyToAsync(copy);
            entries[entry.FullName] = copy.ToArray();
        }

        return new Archive(entries);
    }

    private sealed record Archive(IReadOnlyDictionary<string, byte[]> Entries)
    {
        public IEnumerable<string> Names => Entries.Keys;

        public byte[] Bytes(string name) => Entries[name];

        public string Text(string name) => Encoding.UTF8.GetString(Entries[name]);

        public JsonNode Json(string name) => JsonNode.Parse(Entries[name])!;
    }
}
