using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Helpdesk.Api.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode (readers never wait for the writer), schema
/// brought up to date at start-up from the ordered scripts of <see cref="SqliteSchema"/>.
/// One writer at a time per database in this process: every write takes the writer
/// (<see cref="OpenWriterAsync"/>) or is queued to it (<see cref="WriteAsync"/>), so writers
/// wait in line in memory instead of colliding on the file lock and sleeping in SQLite's busy
/// handler; queued writes that wait together are committed together (group commit). The busy
/// timeout stays for other processes on the same file (the <c>token</c> command, a second instance).
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    /// <summary>At most this many queued writes share one transaction.</summary>
    private const int MaxGroup = 64;

    private const string WriteSavepoint = "queued_write";

    /// <summary>Set on the flow that commits queued writes: a write inside one would wait for itself.</summary>
    private static readonly AsyncLocal<SqliteDatabase?> Committing = new();

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly ConcurrentQueue<QueuedWrite> _queued = new();
    private int _committerRunning;

    public SqliteDatabase(string dataFolder)
    {
        System.IO.Directory.CreateDirectory(dataFolder);
        FilePath = Path.Combine(dataFolder, "helpdesk.db");
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string FilePath { get; }

    public void Dispose() => _writer.Dispose();

    /// <summary>A connection for reading (WAL: it never waits for the writer) or, outside the hot paths, for a write that takes its chances on the file lock.</summary>
    public Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken) =>
        OpenAsync(new SqliteConnection(_connectionString), cancellationToken);

    /// <summary>
    /// The process's one writer: waits (in memory, first come first served) until no other write
    /// of this process holds it, and holds it until the connection is disposed. Keep it for the
    /// statements of one write, never across a call to another system.
    /// </summary>
    public async Task<SqliteConnection> OpenWriterAsync(CancellationToken cancellationToken)
    {
        RefuseNestedWrite();
        return await OpenHeldWriterAsync(cancellationToken);
    }

    /// <summary>
    /// Queues a write to the process's one writer and waits until it is committed. Writes queued
    /// while the writer is busy are committed together in one <c>BEGIN IMMEDIATE</c> transaction,
    /// each inside its own savepoint: a write that throws (a lost race, a taken number) is rolled
    /// back alone and its exception reaches its caller, the others commit; a failed commit fails
    /// them all. Nothing is acknowledged before its commit. The cancellation token is heeded until
    /// the write starts; a started write runs to its end without it, since cancelling a statement
    /// interrupts the connection, which would roll back the writes of the whole group.
    /// </summary>
    public async Task WriteAsync(Func<SqliteConnection, SqliteTransaction, Task> write, CancellationToken cancellationToken)
    {
        RefuseNestedWrite();
        cancellationToken.ThrowIfCancellationRequested();
        var queued = new QueuedWrite(write, cancellationToken);
        _queued.Enqueue(queued);
        if (Interlocked.CompareExchange(ref _committerRunning, 1, 0) == 0)
        {
            // The committer serves every caller: it does not carry the first one's context (its request, its activity).
            using (ExecutionContext.SuppressFlow())
            {
                _ = Task.Run(CommitQueuedAsync, CancellationToken.None);
            }
        }

        await queued.Done.Task;
    }

    private void RefuseNestedWrite()
    {
        if (Committing.Value == this)
        {
            throw new InvalidOperationException("A queued write may not write through another connection of the same database: it would wait for itself.");
        }
    }

    private async Task<SqliteConnection> OpenHeldWriterAsync(CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        return await OpenAsync(new WriterConnection(_connectionString, _writer), cancellationToken);
    }

    private static async Task<SqliteConnection> OpenAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 30000;";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Commits queued writes, group by group, until none is left; one such loop runs at a time.</summary>
    private async Task CommitQueuedAsync()
    {
        Committing.Value = this;
        do
        {
            while (!_queued.IsEmpty)
            {
                await CommitGroupAsync();
            }

            Volatile.Write(ref _committerRunning, 0);
        }
        while (!_queued.IsEmpty && Interlocked.CompareExchange(ref _committerRunning, 1, 0) == 0);
    }

    private async Task CommitGroupAsync()
    {
        var group = new List<QueuedWrite>(MaxGroup);
        while (group.Count < MaxGroup && _queued.TryDequeue(out var queued))
        {
            group.Add(queued);
        }

        try
        {
            await using var connection = await OpenHeldWriterAsync(CancellationToken.None);
            await using var transaction = connection.BeginTransaction();
            foreach (var queued in group)
            {
                await RunInSavepointAsync(transaction, queued);
            }

            await transaction.CommitAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            foreach (var queued in group.Where(q => q.Failure is null))
            {
                queued.Failure = e;
            }
        }

        foreach (var queued in group)
        {
            queued.Complete();
        }
    }

    private static async Task RunInSavepointAsync(SqliteTransaction transaction, QueuedWrite queued)
    {
        if (queued.CancellationToken.IsCancellationRequested)
        {
            queued.Failure = new OperationCanceledException(queued.CancellationToken);
            return;
        }

        await transaction.SaveAsync(WriteSavepoint);
        try
        {
            await queued.Write(transaction.Connection!, transaction);
        }
        catch (Exception e)
        {
            queued.Failure = e;
            await transaction.RollbackAsync(WriteSavepoint);
        }

        await transaction.ReleaseAsync(WriteSavepoint);
    }

    private sealed class QueuedWrite(Func<SqliteConnection, SqliteTransaction, Task> write, CancellationToken cancellationToken)
    {
        public Func<SqliteConnection, SqliteTransaction, Task> Write { get; } = write;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Exception? Failure { get; set; }

        public void Complete()
        {
            if (Failure is null)
            {
                Done.TrySetResult();
            }
            else
            {
                Done.TrySetException(Failure);
            }
        }
    }

    /// <summary>A connection holding the process's writer, which it gives back when disposed.</summary>
    private sealed class WriterConnection(string connectionString, SemaphoreSlim writer) : SqliteConnection(connectionString)
    {
        private int _released;

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (disposing && Interlocked.Exchange(ref _released, 1) == 0)
            {
                writer.Release();
            }
        }
    }

    /// <summary>Runs every migration that has not run yet, each in its own transaction, ordered by name.</summary>
    public void Migrate(IEnumerable<SqliteMigration> migrations)
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using (var setup = connection.CreateCommand())
        {
            setup.CommandText = "PRAGMA journal_mode = WAL; CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL) WITHOUT ROWID;";
            setup.ExecuteNonQuery();
        }

        var applied = new HashSet<string>(StringComparer.Ordinal);
        using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT name FROM schema_migrations";
            using var reader = read.ExecuteReader();
            while (reader.Read())
            {
                applied.Add(reader.GetString(0));
            }
        }

        foreach (var migration in migrations.Where(m => !applied.Contains(m.Name)).OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            using var transaction = connection.BeginTransaction();
            using var migrate = connection.CreateCommand();
            migrate.Transaction = transaction;
            migrate.CommandText = migration.Sql + "\nINSERT INTO schema_migrations (name, applied_at) VALUES ($name, datetime('now'));";
            migrate.Parameters.AddWithValue("$name", migration.Name);
            migrate.ExecuteNonQuery();
            transaction.Commit();
        }
    }
}

internal static class SqliteCommands
{
    public static SqliteCommand Command(this SqliteConnection connection, string sql, SqliteTransaction? transaction = null, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    public static bool IsUniqueViolation(this SqliteException exception) =>
        exception.SqliteErrorCode == 19 && exception.SqliteExtendedErrorCode is 2067 or 1555;
}
