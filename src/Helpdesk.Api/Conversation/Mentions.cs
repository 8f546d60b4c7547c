using System.Text.RegularExpressions;
using Helpdesk.Api.Directory;
using Helpdesk.Domain.Directory;

namespace Helpdesk.Api.Conversation;

/// <summary>The people a message's @mentions resolved to (their emails, for cc) and the mentions nobody answers to.</summary>
public sealed record ResolvedMentions(IReadOnlyList<string> Emails, IReadOnlyList<string> Unknown);

/// <summary>
/// Finds <c>@someone</c> in a message's text and looks them up in the directory: by email
/// (<c>@ada@contoso.com</c>), or by name, where dots, dashes and underscores stand for spaces
/// (<c>@ada.lovelace</c> is "Ada Lovelace"), or by the part of the email before the @.
/// Internal notes only reach agents, so there a contact's name counts as unknown.
/// </summary>
public sealed partial class MentionResolver(IDirectoryStore directory)
{
    private const int MaxMentions = 20;
    private const int SearchLimit = 50;

    public async Task<ResolvedMentions> ResolveAsync(string text, bool agentsOnly, CancellationToken cancellationToken)
    {
        var mentions = MentionPattern().Matches(text)
            .Select(m => m.Groups[1].Value.TrimEnd('.', '-', '_'))
            .Where(m => m.Length > 0)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Take(MaxMentions)
            .ToArray();

        var emails = new List<string>();
        var unknown = new List<string>();
        foreach (var mention in mentions)
        {
            var email = await FindAsync(mention, agentsOnly, cancellationToken);
            if (email is null)
            {
                unknown.Add("@" + mention);
            }
            else if (!emails.Contains(email, StringComparer.OrdinalIgnoreCase))
            {
                emails.Add(email);
            }
        }

        return new ResolvedMentions(emails, unknown);
    }

    private async Task<string?> FindAsync(string mention, bool agentsOnly, CancellationToken cancellationToken)
    {
        if (mention.Contains('@', StringComparison.Ordinal))
        {
            var key = EmailAddresses.Normalize(mention);
            var agent = await directory.FindByKeyAsync(DirectoryKinds.Agent, key, cancellationToken);
            if (agent is { Active: true })
            {
                return agent.Email;
            }

            var contact = agentsOnly ? null : await directory.FindByKeyAsync(DirectoryKinds.Contact, key, cancellationToken);
            return contact is { Active: true } ? contact.Email : null;
        }

        var name = AsName(mention);
        var search = name.Split(' ')[0];
        var agents = await directory.ListAsync(DirectoryKinds.Agent, search, SearchLimit, null, cancellationToken);
        var byAgent = agents.Items.Select(v => v.Value)
            .FirstOrDefault(a => a.Active && (AsName(a.Name) == name || string.Equals(LocalPart(a.Email), mention, StringComparison.OrdinalIgnoreCase)));
        if (byAgent is not null || agentsOnly)
        {
            return byAgent?.Email;
        }

        var contacts = await directory.ListAsync(DirectoryKinds.Contact, search, SearchLimit, null, cancellationToken);
        return contacts.Items.Select(v => v.Value)
            .FirstOrDefault(c => c.Active && ((c.Name is not null && AsName(c.Name) == name) || string.Equals(LocalPart(c.Email), mention, StringComparison.OrdinalIgnoreCase)))?.Email;
    }

    private static string AsName(string value) =>
        Separators().Replace(value.Trim().ToLowerInvariant(), " ");

    private static string LocalPart(string email) => EmailAddresses.Normalize(email).Split('@')[0];

    [GeneratedRegex(@"(?<![\w@.])@([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|[\p{L}\p{N}][\p{L}\p{N}._-]*)")]
    private static partial Regex MentionPattern();

    [GeneratedRegex(@"[\s._-]+")]
    private static partial Regex Separators();
}
