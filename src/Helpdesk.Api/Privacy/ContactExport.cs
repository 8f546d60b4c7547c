using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using Helpdesk.Api.Attachments;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Directory;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Privacy;

/// <summary>
/// A contact's data as one ZIP archive (GDPR article 15), written straight to the response:
/// <c>contact.json</c>, <c>tickets.json</c> (the tickets they asked for, soft-deleted ones too, with
/// their public conversation, or every message with <c>includeInternal</c>, their files and their
/// history; and the tickets a message copied them on, without the requester, description and history),
/// <c>mail.json</c> (the mail journal's rows of mail from their address) and the files they sent
/// under <c>files/</c>, each copied from the attachment store as it is read.
/// </summary>
public sealed class ContactExport(
    IDirectoryStore directory,
    ContactTickets tickets,
    ITicketStore store,
    IConversationStore conversation,
    IAttachmentIndex attachments,
    IAttachmentStore files,
    IMailJournal journal,
    TimeProvider clock)
{
    private const int PageSize = 200;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
    };

    public async Task WriteAsync(Contact contact, bool includeInternal, Stream output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contact);
        var account = contact.AccountId is null ? null : (await directory.FindAsync(DirectoryKinds.Account, contact.AccountId, cancellationToken))?.Value;
        var exported = new List<TicketExport>();
        var sent = new List<(Attachment File, string Path)>();
        await foreach (var (ticket, requested) in tickets.OfAsync(contact, cancellationToken))
        {
            var messages = await AllAsync<TicketMessage>((cursor, ct) => conversation.ListAsync(ticket.Id, includeInternal, PageSize, cursor, ct), cancellationToken);
            var history = await AllAsync<HistoryEntry>((cursor, ct) => store.HistoryAsync(ticket.Id, PageSize, cursor, ct), cancellationToken);
            var fileExports = new List<FileExport>();
            foreach (var file in await attachments.ListAsync(ticket.Id, cancellationToken))
            {
                var theirs = file.UploadedBy == Actor.Customer(contact.Id);
                var path = theirs && file.Hash != ContactErasure.ErasedHash ? $"files/{ticket.Number}/{file.Id}-{SafeName(file.FileName)}" : null;
                if (path is not null)
                {
                    sent.Add((file, path));
                }

                if (theirs || includeInternal || messages.Any(m => m.Id == file.MessageId))
                {
                    fileExports.Add(new FileExport(file.Id, file.MessageId, file.FileName, file.ContentType, file.Size, file.At, theirs, path));
                }
            }

            // On a ticket they were only copied on, the requester, the description and the history are
            // another person's data: the archive holds what was sent to them and what they sent.
            exported.Add(new TicketExport(
                ticket.Id,
                ticket.Number,
                requested ? "requester" : "copied",
                ticket.IsDeleted,
                ticket.Subject,
                requested ? ticket.Description : null,
                Names.Of(ticket.Status),
                requested ? ticket.Requester : null,
                ticket.AccountId,
                ticket.CreatedAt,
                ticket.UpdatedAt,
                ticket.EndAt,
                [.. messages.Select(m => new MessageExport(m.Id, m.At, Names.Of(m.Author.Type), m.Author == Actor.Customer(contact.Id), m.AuthorName, Names.Of(m.Visibility), m.Source, m.Text, m.Html, m.Cc))],
                fileExports,
                requested ? history : []));
        }

        var mails = await journal.FromSenderAsync(contact.Email, cancellationToken);

        await using var body = new AsyncOnlyStream(output);
        await WriteArchiveAsync(body, contact, account, includeInternal, exported, sent, mails, cancellationToken);
        await body.FlushAsync(cancellationToken);
    }

    private async Task WriteArchiveAsync(Stream output, Contact contact, Account? account, bool includeInternal, IReadOnlyList<TicketExport> exported, IReadOnlyList<(Attachment File, string Path)> sent, IReadOnlyList<InboundMailView> mails, CancellationToken cancellationToken)
    {
        await using var zip = await ZipArchive.CreateAsync(output, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, cancellationToken);
        await WriteJsonAsync(zip, "contact.json", new ContactFile(contact, account is null ? null : new AccountLink(account.Id, account.Name), clock.GetUtcNow(), includeInternal), cancellationToken);
        await WriteJsonAsync(zip, "tickets.json", exported, cancellationToken);
        await WriteJsonAsync(zip, "mail.json", mails, cancellationToken);
        foreach (var (file, path) in sent)
        {
            await using var content = await files.OpenAsync(file.Hash, cancellationToken);
            if (content is null)
            {
                continue;
            }

            var entry = zip.CreateEntry(path, CompressionLevel.Fastest);
            entry.LastWriteTime = file.At;
            await using var target = await entry.OpenAsync(cancellationToken);
            await content.CopyToAsync(target, cancellationToken);
        }
    }

    private static async Task WriteJsonAsync<T>(ZipArchive zip, string name, T value, CancellationToken cancellationToken)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        await using var target = await entry.OpenAsync(cancellationToken);
        await JsonSerializer.SerializeAsync(target, value, Json, cancellationToken);
    }

    private static async Task<IReadOnlyList<T>> AllAsync<T>(Func<string?, CancellationToken, Task<Common.Page<T>>> read, CancellationToken cancellationToken)
    {
        var all = new List<T>();
        string? cursor = null;
        do
        {
            var page = await read(cursor, cancellationToken);
            all.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return all;
    }

    /// <summary>A file name safe as one path segment inside the archive (no folders, no traversal).</summary>
    private static string SafeName(string name)
    {
        var cleaned = new string([.. name.Select(ch => char.IsLetterOrDigit(ch) || ch is '.' or '-' or '_' or ' ' ? ch : '_')]).Trim('.', ' ');
        return cleaned.Length == 0 ? "file" : cleaned;
    }

    private sealed record ContactFile(Contact Contact, AccountLink? Account, DateTimeOffset ExportedAt, bool InternalNotesIncluded);

    private sealed record AccountLink(string Id, string Name);

    private sealed record TicketExport(
        string Id,
        string Number,
        string Relation,
        bool Deleted,
        string Subject,
        string? Description,
        string Status,
        Requester? Requester,
        string? AccountId,
        DateTimeOffset CreatedAt,
        DateTimeOffset UpdatedAt,
        DateTimeOffset? EndAt,
        IReadOnlyList<MessageExport> Messages,
        IReadOnlyList<FileExport> Files,
        IReadOnlyList<HistoryEntry> History);

    private sealed record MessageExport(string Id, DateTimeOffset At, string AuthorType, bool WrittenByContact, string? AuthorName, string Visibility, string Source, string Text, string Html, IReadOnlyList<string> Cc);

    private sealed record FileExport(string Id, string? MessageId, string FileName, string ContentType, long Size, DateTimeOffset At, bool SentByContact, string? Path);
}
