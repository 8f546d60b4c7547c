using Helpdesk.Api.Attachments;
using Helpdesk.Api.Common;
using Helpdesk.Api.Conversation;
using Helpdesk.Api.Directory;
using Helpdesk.Api.Mail;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Common;
using Helpdesk.Domain.Directory;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Api.Privacy;

/// <summary>What one erasure changed (all zero when the contact was erased already).</summary>
public sealed record ErasureReport(string ContactId, string Pseudonym, int Tickets, int Messages, int Attachments, int Mails);

/// <summary>
/// Erases a contact (GDPR article 17) on every ticket holding their data: those they asked for,
/// soft-deleted ones included, and those a message copied them on (<see cref="ContactTickets"/>).
/// Order matters for a retry after a failure half-way: the
/// mail journal first (it is found by the address the contact record still holds), then each
/// ticket through the ticket write path (one history entry and one event per ticket, its messages
/// and files written with it), and the contact record last. Every step finds nothing left to do
/// the second time, so erasing twice is harmless.
/// </summary>
public sealed class ContactErasure(
    IDirectoryStore directory,
    ContactTickets tickets,
    TicketRunner runner,
    IConversationStore conversation,
    IAttachmentIndex attachments,
    AttachmentContents contents,
    IMailJournal journal,
    IEnumerable<IDirectoryChanges<Contact>> contactChanges)
{
    /// <summary>The stand-in hash of an erased file's bytes: a valid SHA-256 name no stored content has, so its download answers 404.</summary>
    public const string ErasedHash = "0000000000000000000000000000000000000000000000000000000000000000";

    private const int MessagePage = 200;

    public async Task<(ErasureReport Report, long Version)> EraseAsync(Versioned<Contact> found, Actor by, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(found);
        var contact = found.Value;
        var pseudonym = Pseudonyms.Of(contact.Id);
        var pseudonymEmail = Pseudonyms.EmailOf(contact.Id);
        var mails = contact.Email == pseudonymEmail ? 0 : await journal.ForgetSenderAsync(contact.Email, pseudonymEmail, cancellationToken);

        var (ticketCount, messageCount, attachmentCount) = (0, 0, 0);
        var forgotten = new List<string>();
        await foreach (var (ticket, _) in tickets.OfAsync(contact, cancellationToken))
        {
            var outcome = await EraseOnTicketAsync(ticket.Id, contact, pseudonym, pseudonymEmail, by, cancellationToken);
            if (outcome.Succeeded && outcome.Value is { } erased)
            {
                ticketCount++;
                messageCount += erased.Messages;
                attachmentCount += erased.Hashes.Count;
                forgotten.AddRange(erased.Hashes);
            }
        }

        foreach (var hash in forgotten.Distinct(StringComparer.Ordinal))
        {
            await contents.ForgetUnlessReferencedAsync(hash, cancellationToken);
        }

        var erasedContact = contact with { Email = pseudonymEmail, Name = pseudonym, Active = false, Language = null };
        var version = found.Version;
        if (erasedContact != contact)
        {
            version = await directory.ReplaceAsync(DirectoryKinds.Contact, erasedContact, found.Version, cancellationToken);
            foreach (var change in contactChanges)
            {
                await change.ChangedAsync(cancellationToken);
            }
        }

        return (new ErasureReport(contact.Id, pseudonym, ticketCount, messageCount, attachmentCount, mails), version);
    }

    private Task<Outcome<ErasedOnTicket?>> EraseOnTicketAsync(string ticketId, Contact contact, string pseudonym, string pseudonymEmail, Actor by, CancellationToken cancellationToken) =>
        runner.RunAsync<ErasedOnTicket?>(
            ticketId,
            by,
            TicketPrecondition.None,
            async c =>
            {
                var messages = 0;
                await foreach (var message in MessagesAsync(c.Ticket.Id, cancellationToken))
                {
                    if (Erased(message, contact, pseudonym, pseudonymEmail) is { } erased)
                    {
                        messages++;
                        c.Write(new TicketItemWrite(TicketItemKinds.Message, message.Id, null, erased));
                    }
                }

                var hashes = new List<string>();
                foreach (var file in await attachments.ListAsync(c.Ticket.Id, cancellationToken))
                {
                    if (file.UploadedBy == Actor.Customer(contact.Id) && file.Hash != ErasedHash)
                    {
                        hashes.Add(file.Hash);
                        c.Write(new TicketItemWrite(
                            TicketItemKinds.Attachment,
                            file.Id,
                            null,
                            file with { FileName = Ticket.ErasedText, ContentType = "application/octet-stream", Size = 0, Hash = ErasedHash, ContentId = null }));
                    }
                }

                var changed = c.Ticket.ErasePerson(new PersonErasure(contact.Id, pseudonym, pseudonymEmail, messages, hashes.Count), c.Actor, c.Now);
                return changed ? new ErasedOnTicket(messages, hashes) : null;
            },
            cancellationToken,
            TicketLookup.IncludingDeleted);

    /// <summary>
    /// The message with the contact's personal data erased, or null when it holds none: the body
    /// of a message they wrote (and the mail it came from), and their address among the cc of any.
    /// </summary>
    private static TicketMessage? Erased(TicketMessage message, Contact contact, string pseudonym, string pseudonymEmail)
    {
        var theirs = message.Author == Actor.Customer(contact.Id);
        var cc = message.Cc.Select(a => string.Equals(EmailAddresses.Normalize(a), EmailAddresses.Normalize(contact.Email), StringComparison.Ordinal) ? pseudonymEmail : a).ToArray();
        var erased = message with { Cc = cc };
        if (theirs && (message.Text != Ticket.ErasedText || message.OriginalHtml is not null || message.AuthorName != pseudonym))
        {
            erased = erased with { Html = $"<p>{Ticket.ErasedText}</p>", Text = Ticket.ErasedText, OriginalHtml = null, AuthorName = pseudonym };
        }

        return erased.Html == message.Html && erased.AuthorName == message.AuthorName && erased.OriginalHtml == message.OriginalHtml && erased.Cc.SequenceEqual(message.Cc, StringComparer.Ordinal)
            ? null
            : erased;
    }

    private async IAsyncEnumerable<TicketMessage> MessagesAsync(string ticketId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? cursor = null;
        do
        {
            var page = await conversation.ListAsync(ticketId, includeInternal: true, MessagePage, cursor, cancellationToken);
            foreach (var message in page.Items)
            {
                yield return message;
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }

    private sealed record ErasedOnTicket(int Messages, IReadOnlyList<string> Hashes);
}
