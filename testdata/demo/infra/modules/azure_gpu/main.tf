resource "azurerm_resource_group" "ml" {
  name     = "rg-ml-prod"
  location = "eastus"
}

resource "azurerm_linux_virtual_machine" "nd" {
  for_each            = toset(["train-a", "train-b"])
  name                = "nd-${each.key}"
  resource_group_name = azurerm_resource_group.ml.name
  location            = "eastus"
  size                = "Standard_ND96asr_v4"
  admin_username      = "azureuser"
  tags = {
    team  = "foundation-models"
    owner = "ana"
  }
}

resource "azurerm_linux_virtual_machine" "nc" {
  count               = 3
  name                = "nc-a100-${count.index}"
  resource_group_name = azurerm_resource_group.ml.name
  location            = "eastus"
  size                = "Standard_NC24ads_A100_v4"
  priority            = "Spot"
  eviction_policy     = "Deallocate"
  admin_username      = "azureuser"
  tags = {
    team  = "serving"
    owner = "raj"
  }
}
