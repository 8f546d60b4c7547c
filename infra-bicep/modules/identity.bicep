// The user-assigned managed identity the function app runs as: every data-plane call
// (Cosmos DB, Service Bus, Storage, Key Vault, Application Insights) signs in with it.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
