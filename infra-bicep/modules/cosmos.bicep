// Cosmos DB (NoSQL) with the database and containers of docs/adr/0004-cosmos-containers.md:
// partition keys, indexing policies, TTL, and the leases container of the RelayOutbox change
// feed (created here: a managed identity cannot create containers through the data plane).
// Serverless by default; provisioned autoscale throughput when serverless is false.
param name string
param location string
param tags object
param identityPrincipalId string
param databaseName string
param serverless bool
param autoscaleMaxThroughput int

// Containers read by id only: nothing indexed makes every write cheaper.
var pointReadsOnly = {
  indexingMode: 'consistent'
  includedPaths: []
  excludedPaths: [ { path: '/*' } ]
}

// One composite index per ticket view (CosmosTicketStore): equality filters first, seq newest first last.
var ticketViews = [
  [ { path: '/type', order: 'ascending' }, { path: '/isOpen', order: 'ascending' }, { path: '/seq', order: 'descending' } ]
  [ { path: '/type', order: 'ascending' }, { path: '/isOpen', order: 'ascending' }, { path: '/assigneeId', order: 'ascending' }, { path: '/seq', order: 'descending' } ]
  [ { path: '/type', order: 'ascending' }, { path: '/isOpen', order: 'ascending' }, { path: '/teamId', order: 'ascending' }, { path: '/seq', order: 'descending' } ]
  [ { path: '/type', order: 'ascending' }, { path: '/status', order: 'ascending' }, { path: '/seq', order: 'descending' } ]
  [ { path: '/type', order: 'ascending' }, { path: '/accountId', order: 'ascending' }, { path: '/seq', order: 'descending' } ]
  [ { path: '/type', order: 'ascending' }, { path: '/contactId', order: 'ascending' }, { path: '/seq', order: 'descending' } ]
  [ { path: '/type', order: 'ascending' }, { path: '/seq', order: 'descending' } ]
]

var containers = [
  {
    name: 'tickets'
    partitionKey: '/ticketId'
    defaultTtl: null
    indexingPolicy: {
      indexingMode: 'consistent'
      includedPaths: [ { path: '/*' } ]
      excludedPaths: [ { path: '/snapshot/*' }, { path: '/history/*' }, { path: '/events/*' }, { path: '/search/?' } ]
      compositeIndexes: ticketViews
    }
  }
  {
    name: 'directory'
    partitionKey: '/kind'
    defaultTtl: null
    indexingPolicy: {
      indexingMode: 'consistent'
      includedPaths: [ { path: '/*' } ]
      excludedPaths: [ { path: '/entry/*' }, { path: '/search/?' } ]
    }
  }
  {
    name: 'keys'
    partitionKey: '/id'
    defaultTtl: null
    indexingPolicy: pointReadsOnly
  }
  {
    name: 'counters'
    partitionKey: '/id'
    defaultTtl: null
    indexingPolicy: pointReadsOnly
  }
  {
    name: 'idempotency'
    partitionKey: '/id'
    defaultTtl: -1
    indexingPolicy: pointReadsOnly
  }
  {
    name: 'leases'
    partitionKey: '/id'
    defaultTtl: null
    indexingPolicy: {
      indexingMode: 'consistent'
      includedPaths: [ { path: '/*' } ]
      excludedPaths: []
    }
  }
]

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    disableLocalAuth: true
    consistencyPolicy: { defaultConsistencyLevel: 'Session' }
    locations: [ { locationName: location, failoverPriority: 0, isZoneRedundant: false } ]
    capabilities: serverless ? [ { name: 'EnableServerless' } ] : []
    minimalTlsVersion: 'Tls12'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-05-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: { id: databaseName }
    options: serverless ? {} : { autoscaleSettings: { maxThroughput: autoscaleMaxThroughput } }
  }
}

resource sqlContainers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = [for container in containers: {
  parent: database
  name: container.name
  properties: {
    resource: union({
      id: container.name
      partitionKey: { paths: [ container.partitionKey ], kind: 'Hash', version: 2 }
      indexingPolicy: container.indexingPolicy
    }, container.defaultTtl == null ? {} : { defaultTtl: container.defaultTtl })
  }
}]

// Cosmos DB Built-in Data Contributor (a data-plane role, assigned on the account).
resource dataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15' = {
  parent: account
  name: guid(account.id, identityPrincipalId, '00000000-0000-0000-0000-000000000002')
  properties: {
    roleDefinitionId: '${account.id}/sqlRoleDefinitions/00000000-0000-0000-0000-000000000002'
    principalId: identityPrincipalId
    scope: account.id
  }
}

output endpoint string = account.properties.documentEndpoint
output databaseName string = database.name
