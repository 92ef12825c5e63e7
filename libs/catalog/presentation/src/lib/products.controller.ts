import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { CatalogPort, CreateProductDto, ListProductsQuery, ProductDto, ProductPageDto } from '@strata/catalog/contracts';
import { IdempotentRoute, ParseIdPipe } from '@strata/platform/http';

@ApiTags('products')
@Controller('products')
export class ProductsController {
  constructor(private readonly catalog: CatalogPort) {}

  @Post()
  @IdempotentRoute()
  @ApiCreatedResponse({ type: ProductDto })
  @ApiBadRequestResponse({ description: 'A field is missing, unknown or invalid.' })
  @ApiConflictResponse({ description: 'The sku is taken.' })
  create(@Body() product: CreateProductDto): Promise<ProductDto> {
    return this.catalog.createProduct(product);
  }

  @Get()
  @ApiOkResponse({ type: ProductPageDto })
  list(@Query() query: ListProductsQuery): Promise<ProductPageDto> {
    return this.catalog.listProducts(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: ProductDto })
  @ApiNotFoundResponse()
  get(@Param('id', ParseIdPipe) id: string): Promise<ProductDto> {
    return this.catalog.getProduct(id);
  }
}
