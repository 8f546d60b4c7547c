using Helpdesk.Api.Activities;
using Helpdesk.Api.Approvals;
using Helpdesk.Api.Attachments;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Expenses;
using Helpdesk.Api.Idempotency;
using Helpdesk.Api.Storage;
using Helpdesk.Api.Storage.Sqlite;
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
