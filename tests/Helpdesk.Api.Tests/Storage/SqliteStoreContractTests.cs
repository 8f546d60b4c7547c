using Helpdesk.Api.Activities;
using Helpdesk.Api.Approvals;
using Helpdesk.Api.Attachments;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Expenses;
using Helpdesk.Api.Idempotency;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
using Helpdesk.Api.Tickets;
using Helpdesk.Api.Time;
using Helpdesk.Domain.Tickets;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Tests.Storage;

/// <summary>The store contract on the embedded SQLite store, one database file per test.</summary>
public sealed class SqliteStoreContractTests : StoreContractTests
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "helpdesk-tests", Guid.NewGuid().ToString("N"));

    protected override Task<Stores> OpenAsync()
    {
        var database = new SqliteDatabase(_folder);
        database.Migrate(StoreEngines.SqliteMigrations);
        var tickets = StoreEngines.Sqlite(database);
        return Task.FromResult(new Stores(
            tickets,
            tickets,
            new SqliteDirectoryStore(database),
            new SqliteIdempotencyStore(database),
            new SqliteConversationStore(database),
            new SqliteTimeStore(database),
            new SqliteCostLineStore(database),
            new SqliteActivityStore(database),
            new SqliteAttachmentIndex(database),
            new SqliteApprovalStore(database)));
    }

    protected override async Task<IReadOnlyList<DomainEvent>> PendingEventsAsync(string ticketId)
    {
        var database = new SqliteDatabase(_folder);
        await using var connection = await database.OpenAsync(default);
        await using var command = connection.Command("SELECT doc FROM outbox WHERE ticket_id = $id AND published_at IS NULL ORDER BY seq", null, ("$id", ticketId));
        await using var reader = await command.ExecuteReaderAsync();
        var events = new List<DomainEvent>();
        while (await reader.ReadAsync())
        {
            events.Add(StoreJson.Deserialize<DomainEvent>(reader.GetString(0)));
        }

        return events;
    }

    [Fact]
    public async Task The_search_migration_indexes_the_tickets_and_messages_stored_before_it()
    {
        var ticket = await CreateAsync("Printer jams");
        var loaded = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        await SaveMessageAsync(loaded, Reply(loaded, "msg_public", "The toner was replaced"));
        var database = new SqliteDatabase(_folder);
        await using (var connection = await database.OpenAsync(default))
        {
            // Back to the schema before the migration: no message index, the tickets' without the requester, both empty.
            await using var undo = connection.Command(
                $"""
                DROP TRIGGER ticket_messages_fts_insert;
                DROP TRIGGER ticket_messages_fts_update;
                DROP TRIGGER ticket_messages_fts_delete;
                DROP TABLE ticket_messages_fts;
                DROP TABLE tickets_fts;
                CREATE VIRTUAL TABLE tickets_fts USING fts5 (number, subject, description, content = '', contentless_delete = 1, tokenize = 'trigram');
                DELETE FROM schema_migrations WHERE name = '{SqliteTicketStore.SearchMigration.Name}';
                """,
                null);
            await undo.ExecuteNonQueryAsync();
        }

        database.Migrate(StoreEngines.SqliteMigrations);

        (await SearchAsync("toner", TicketTextScope.PublicConversation)).ShouldBe([ticket.Id]);
        (await SearchAsync("alice@contoso", TicketTextScope.Ticket)).ShouldBe([ticket.Id]);
        (await SearchAsync("jams", TicketTextScope.Ticket)).ShouldBe([ticket.Id]);
        var again = (await Store.Tickets.FindAsync(ticket.Id, default))!;
        await SaveMessageAsync(again, Reply(again, "msg_later", "A new fuser is on its way"));
        (await SearchAsync("fuser", TicketTextScope.Conversation)).ShouldBe([ticket.Id]);
    }

    /// <summary>A process that dies inside its transaction leaves the rollback journal: nothing of the write is committed.</summary>
    protected override async Task LeaveUnfinishedMessageWriteAsync(TicketMessage message)
    {
        var database = new SqliteDatabase(_folder);
        await using var connection = await database.OpenAsync(default);
        await using var transaction = connection.BeginTransaction();
        await using var insert = connection.Command(
            "INSERT INTO ticket_messages (id, ticket_id, visibility, doc) VALUES ($id, $ticket, 'public', $doc)",
            transaction,
            ("$id", message.Id),
            ("$ticket", message.TicketId),
            ("$doc", StoreJson.Serialize(message)));
        await insert.ExecuteNonQueryAsync();
    }

    public override Task DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        if (System.IO.Directory.Exists(_folder))
        {
            System.IO.Directory.Delete(_folder, recursive: true);
        }

        return Task.CompletedTask;
    }
}
