using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Helpdesk.Api.Common;
using Helpdesk.Api.Storage.Cosmos;
using Helpdesk.Api.Tickets;
using Helpdesk.Domain.Satisfaction;
using Microsoft.Azure.Cosmos;

namespace Helpdesk.Api.Satisfaction;

/// <summary>
/// A ticket's survey as an item of its partition (its indexed key: when it was answered), so the
/// survey and the event asking for its email commit together. The signing key is one document in
/// the <c>counters</c> container, made at random by whichever process needs it first.
/// </summary>
internal sealed class CosmosSurveyStore(CosmosContainers containers, CosmosTicketItems items, CosmosRetry retry) : ISurveyStore
{
    private const string Kind = TicketItemKinds.Survey;

    /// <summary>Keyed by when it was answered, for the satisfaction report.</summary>
    public static CosmosItemKind ItemKind { get; } = new(Kind) { Key = value => TicketDocument.Time(((Survey)value).AnsweredAt) };
    private const string SecretId = "secret:csat-signing-key";

    public async Task<byte[]> SigningKeyAsync(CancellationToken cancellationToken)
    {
        var container = await containers.GetAsync(CosmosContainers.Counters, cancellationToken);
        var partition = new PartitionKey(SecretId);
        try
        {
            return (await retry.RunAsync(ct => container.ReadItemAsync<Secret>(SecretId, partition, cancellationToken: ct), cancellationToken)).Resource.Key;
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // First use: made below.
        }

        var made = new Secret(SecretId, RandomNumberGenerator.GetBytes(32));
        try
        {
            await retry.RunAsync(ct => container.CreateItemAsync(made, partition, cancellationToken: ct), cancellationToken);
            return made.Key;
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            return (await retry.RunAsync(ct => container.ReadItemAsync<Secret>(SecretId, partition, cancellationToken: ct), cancellationToken)).Resource.Key;
        }
    }

    public Task<Versioned<Survey>?> FindAsync(string ticketId, CancellationToken cancellationToken) =>
        items.FindAsync<Survey>(ticketId, Kind, ticketId, cancellationToken);

    public async Task<ScoreSummary> ScoresAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var query = new QueryDefinition($"SELECT * FROM c WHERE c.type = '{CosmosTicketItems.ItemType}' AND c.kind = '{Kind}' AND c.key >= @from AND c.key < @to")
            .WithParameter("@from", TicketDocument.Time(from))
            .WithParameter("@to", TicketDocument.Time(to));
        var distribution = ScoreSummary.EmptyDistribution();
        await foreach (var (survey, ticket) in items.QueryAsync<Survey>(query, cancellationToken))
        {
            if (survey.Value.Score is { } score && ticket.Snapshot.DeletedAt is null)
            {
                distribution[score.ToString(CultureInfo.InvariantCulture)]++;
            }
        }

        return ScoreSummary.Of(distribution);
    }

    private sealed record Secret(string Id, byte[] Key);
}
