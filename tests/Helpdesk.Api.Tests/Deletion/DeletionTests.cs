using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Helpdesk.Api.Auth;
using Helpdesk.Api.Tests.Cosmos;
using Helpdesk.Api.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Tests.Deletion;

public sealed class DeletionTests : IDisposable
{
    private readonly HelpdeskApp _app = new();

    public void Dispose() => _app.Dispose();

    private static string Id(JsonNode node) => node["id"]!.GetValue<string>();

    private static MultipartFormDataContent Form(byte[] bytes, string fileName)
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return new MultipartFormDataContent { { file, "file", fileName } };
    }

    private static async Task<string[]> IdsAsync(HttpClient client, string url) =>
        [.. (await (await client.GetAsync(url)).Json())["items"]!.AsArray().Select(t => t!["id"]!.GetValue<string>())];

    [Fact]
    public async Task A_deleted_ticket_vanishes_from_every_view_search_report_and_portal_route_until_restored()
    {
        var (_, ada) = await _app.AgentAsync("ada@delete.test");
        var (_, sam) = await _app.AgentAsync("sam@delete.test", Roles.Supervisor);
        var opened = await ada.OpenTicketAsync(new { subject = "Vanishing printer", requester = new { email = "carol@contoso.com" } });
        var id = Id(opened);
        var customer = _app.ClientFor(Roles.Customer, "carol@contoso.com", opened["requester"]!["contactId"]!.GetValue<string>());
        (await ada.PostAsJsonAsync($"/api/tickets/{id}/time-entries", new { minutes = 40, billable = true })).StatusCode.ShouldBe(HttpStatusCode.Created);

        var deleted = await sam.DeleteAsync($"/api/tickets/{id}");

        deleted.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        foreach (var url in new[] { $"/api/tickets/{id}", $"/api/tickets/{id}/messages", $"/api/tickets/{id}/history", $"/api/tickets/{id}/attachments", $"/api/tickets/{id}/time-entries", $"/api/tickets/{id}/context" })
        {
            await (await ada.GetAsync(url)).ShouldBeProblem(404);
        }

        await (await ada.PostAsJsonAsync($"/api/tickets/{id}/messages", new { visibility = "public", body = "Hello?" })).ShouldBeProblem(404);
        await (await customer.GetAsync($"/api/portal/tickets/{id}")).ShouldBeProblem(404);
        await (await customer.PostAsJsonAsync($"/api/portal/tickets/{id}/messages", new { body = "Hello?" })).ShouldBeProblem(404);
        (await IdsAsync(customer, "/api/portal/tickets")).ShouldNotContain(id);
        foreach (var view in new[] { "open", "unassigned", "all" })
        {
            (await IdsAsync(ada, $"/api/tickets?view={view}")).ShouldNotContain(id);
        }

        (await IdsAsync(ada, "/api/tickets?view=all&q=Vanishing")).ShouldBeEmpty();
        var report = await (await sam.GetAsync("/api/reports/time?month=2026-03")).Json();
        report["totals"]!["minutes"]!.GetValue<long>().ShouldBe(0);

        var restored = await sam.PostAsync($"/api/tickets/{id}/restore", null);

        restored.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ada.GetAsync($"/api/tickets/{id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await IdsAsync(ada, "/api/tickets?view=all&q=Vanishing")).ShouldBe([id]);
        (await IdsAsync(customer, "/api/portal/tickets")).ShouldContain(id);
        var actions = (await (await ada.GetAsync($"/api/tickets/{id}/history")).Json())["items"]!.AsArray().Select(h => h!["action"]!.GetValue<string>());
        actions.TakeLast(2).ShouldBe(["deleted", "restored"]);
        (await (await sam.GetAsync("/api/reports/time?month=2026-03")).Json())["totals"]!["minutes"]!.GetValue<long>().ShouldBe(40);
    }

    [Fact]
    public async Task Deleting_and_restoring_are_for_supervisors_and_purging_for_admins()
    {
        var (_, ada) = await _app.AgentAsync("ada.roles@delete.test");
        var (_, sam) = await _app.AgentAsync("sam.roles@delete.test", Roles.Supervisor);
        var id = Id(await ada.OpenTicketAsync());
        var customer = _app.ClientFor(Roles.Customer, "alice@contoso.com", "con_x");

        (await ada.DeleteAsync($"/api/tickets/{id}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await customer.DeleteAsync($"/api/tickets/{id}")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await _app.CreateClient().DeleteAsync($"/api/tickets/{id}")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await ada.PostAsync($"/api/tickets/{id}/restore", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await sam.PostAsync($"/api/tickets/{id}/purge", null)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        await (await sam.DeleteAsync("/api/tickets/t_missing")).ShouldBeProblem(404);
        await (await sam.PostAsync("/api/tickets/t_missing/restore", null)).ShouldBeProblem(404);
        await (await _app.Admin.PostAsync("/api/tickets/t_missing/purge", null)).ShouldBeProblem(404);
        var notDeleted = await sam.PostAsync($"/api/tickets/{id}/restore", null);
        await notDeleted.ShouldBeProblem(409);
        (await notDeleted.Json())["type"]!.GetValue<string>().ShouldBe("urn:helpdesk:problem:not-deleted");
        var stale = new HttpRequestMessage(HttpMethod.Delete, $"/api/tickets/{id}");
        stale.Headers.TryAddWithoutValidation("If-Match", "\"42\"");
        await (await sam.SendAsync(stale)).ShouldBeProblem(412);
        (await ada.GetAsync($"/api/tickets/{id}")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Purge_leaves_no_trace_of_the_ticket_in_any_table_except_an_anonymous_audit_row()
    {
        const string subject = "Quokka-Zebra payroll leak";
        const string email = "erase.me@purge.test";
        var (_, ada) = await _app.AgentAsync("ada.purge@purge.test");
        var create = new HttpRequestMessage(HttpMethod.Post, "/api/tickets") { Content = JsonContent.Create(new { subject, description = "Secret description", requester = new { email, name = "Erin Erase" } }) };
        create.Headers.Add("Idempotency-Key", "purge-create");
        var opened = await (await ada.SendAsync(create)).Json();
        var id = Id(opened);
        var number = opened["number"]!.GetValue<string>();
        var kept = Id(await ada.OpenTicketAsync(new { subject = "Unrelated", requester = new { email = "keep@purge.test" } }));
        var customer = _app.ClientFor(Roles.Customer, email, opened["requester"]!["contactId"]!.GetValue<string>());
        (await ada.PostAsJsonAsync($"/api/tickets/{id}/messages", new { visibility = "public", body = $"Dear {email}, about {subject}" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await ada.PostAsJsonAsync($"/api/tickets/{id}/messages", new { visibility = "internal", body = "Internal note" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await customer.PostAsJsonAsync($"/api/portal/tickets/{id}/messages", new { body = "Customer reply" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await ada.PostAsync($"/api/tickets/{id}/attachments", Form("only on the purged ticket"u8.ToArray(), "payroll.txt"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await ada.PostAsync($"/api/tickets/{id}/attachments", Form("shared bytes"u8.ToArray(), "shared.txt"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await ada.PostAsync($"/api/tickets/{kept}/attachments", Form("shared bytes"u8.ToArray(), "shared.txt"))).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await ada.PostAsJsonAsync($"/api/tickets/{id}/time-entries", new { minutes = 30, billable = true, note = "Work" })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await ada.PostAsync($"/api/tickets/{id}/timer/start", null)).EnsureSuccessStatusCode();
        (await ada.PostAsJsonAsync($"/api/tickets/{id}/cost-lines", new { kind = "expense", description = "Travel", quantity = 1, unitPrice = 10, currency = "EUR", billable = true })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await ada.PostAsJsonAsync($"/api/tickets/{id}/activities", new { kind = "call", title = "Call Erin", dueAt = _app.Clock.GetUtcNow().AddDays(1) })).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await ada.PutAsJsonAsync($"/api/tickets/{id}/resolution", new { details = "Fixed it", publish = true, articleTitle = "Fixing it" })).EnsureSuccessStatusCode();

        var (samId, _) = await _app.AgentAsync("sam.purge@purge.test", Roles.Supervisor);
        (await ada.PostAsJsonAsync($"/api/tickets/{id}/approvals", new { approverId = samId, reason = $"Refund for {email}" })).EnsureSuccessStatusCode();
        var files = System.IO.Directory.GetFiles(Path.Combine(_app.DataFolder, "attachments"), "*", SearchOption.AllDirectories);
        files.Length.ShouldBe(2);

        var purged = await _app.Admin.PostAsync($"/api/tickets/{id}/purge", null);

        purged.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await (await ada.GetAsync($"/api/tickets/{id}")).ShouldBeProblem(404);
        await (await _app.Admin.PostAsync($"/api/tickets/{id}/purge", null)).ShouldBeProblem(404);
        System.IO.Directory.GetFiles(Path.Combine(_app.DataFolder, "attachments"), "*", SearchOption.AllDirectories).Length.ShouldBe(1, "the shared bytes stay for the other ticket");
        var sharedId = (await (await ada.GetAsync($"/api/tickets/{kept}/attachments")).Json())["items"]!.AsArray().Single()!["id"]!.GetValue<string>();
        (await ada.GetAsync($"/api/tickets/{kept}/attachments/{sharedId}")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var traces = Traces(id, subject, email, number);
        if (HelpdeskApp.OnCosmos)
        {
            traces.AddRange(await CosmosTracesAsync(id, subject, email, number));
            var audits = await CosmosDocumentsAsync("purges");
            audits.Count.ShouldBe(1);
            audits[0]["purgedBy"]!.GetValue<string>().ShouldStartWith("agent:");
            audits[0]["numberHash"]!.GetValue<string>().Length.ShouldBe(64);
        }

        traces.ShouldBeEmpty(string.Join("\n", traces));
        if (HelpdeskApp.OnCosmos)
        {
            return;
        }

        using var connection = Open();
        using var audit = connection.CreateCommand();
        audit.CommandText = "SELECT purged_by, number_hash FROM ticket_purges";
        using var reader = audit.ExecuteReader();
        reader.Read().ShouldBeTrue();
        reader.GetString(0).ShouldStartWith("agent:");
        reader.GetString(1).Length.ShouldBe(64);
        reader.Read().ShouldBeFalse();
    }

    /// <summary>
    /// On Cosmos DB, every document of every container searched the same way (stored responses
    /// also with their base64 body decoded). Left out like the directory tables: the directory
    /// container, and the directory's uniqueness claims in <c>keys</c> (a contact's email).
    /// </summary>
    private async Task<List<string>> CosmosTracesAsync(params string[] needles)
    {
        var found = new List<string>();
        var database = SharedCosmosServer.Get().Client.GetDatabase(_app.CosmosDatabase);
        using var containers = database.GetContainerQueryIterator<Microsoft.Azure.Cosmos.ContainerProperties>();
        var names = new List<string>();
        while (containers.HasMoreResults)
        {
            names.AddRange((await containers.ReadNextAsync()).Select(c => c.Id).Where(n => n != "directory"));
        }

        names.ShouldContain("tickets");
        foreach (var name in names)
        {
            foreach (var document in await CosmosDocumentsAsync(name))
            {
                if (name == "keys" && document["kind"]?.GetValue<string>() is not ("ticket-number" or "timer"))
                {
                    continue;
                }

                var text = document.ToJsonString();
                if (document["response"]?["body"]?.GetValue<string>() is { } body)
                {
                    text += System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(body));
                }

                found.AddRange(needles.Where(n => text.Contains(n, StringComparison.OrdinalIgnoreCase)).Select(n => $"{name}/{document["id"]} holds '{n}'"));
            }
        }

        return found;
    }

    private async Task<List<JsonNode>> CosmosDocumentsAsync(string container)
    {
        using var iterator = SharedCosmosServer.Get().Client.GetContainer(_app.CosmosDatabase, container).GetItemQueryStreamIterator("SELECT * FROM c");
        var documents = new List<JsonNode>();
        while (iterator.HasMoreResults)
        {
            using var page = await iterator.ReadNextAsync();
            page.EnsureSuccessStatusCode();
            documents.AddRange((await JsonNode.ParseAsync(page.Content))!["Documents"]!.AsArray().Select(d => d!.DeepClone()));
        }

        return documents;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_app.DataFolder, "helpdesk.db"), Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>
    /// Every table of the database, every column, searched for the ticket's id, subject, number and
    /// requester email. The directory is left out: the requester's contact is a person record of the
    /// directory, not ticket data, and is erased through the directory, not by purging one ticket.
    /// </summary>
    private List<string> Traces(params string[] needles)
    {
        using var connection = Open();
        var tables = new List<string>();
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('directory', 'directory_keys')";
            using var reader = list.ExecuteReader();
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        tables.Count.ShouldBeGreaterThan(20);
        var found = new List<string>();
        foreach (var table in tables)
        {
            using var scan = connection.CreateCommand();
            scan.CommandText = $"SELECT * FROM \"{table}\"";
            using var reader = scan.ExecuteReader();
            while (reader.Read())
            {
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    var value = reader.IsDBNull(i) ? string.Empty : reader.GetValue(i) is byte[] bytes ? System.Text.Encoding.UTF8.GetString(bytes) : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
                    found.AddRange(needles.Where(n => value.Contains(n, StringComparison.OrdinalIgnoreCase)).Select(n => $"{table}.{reader.GetName(i)} holds '{n}'"));
                }
            }
        }

        return found;
    }
}
