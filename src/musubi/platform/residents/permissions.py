"""What staff may do with the resident registry (granted to roles per department)."""

from musubi.platform.accounts.permissions import declare

VIEW = declare("residents.view", "住民記録の検索・閲覧", "Search and read resident records")
CHANGE = declare("residents.change", "住民記録の異動入力", "Record changes to resident records")
IMPORT = declare("residents.import", "住民記録のCSV取込", "Import resident records from CSV")
EXPORT = declare("residents.export", "住民記録のCSV出力", "Export resident records as CSV")
